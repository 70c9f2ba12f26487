// Entry point of the sales service: reads the environment, migrates, seeds demo data on first start, listens.
import { runSubgraph } from '../../shared/subgraph-main';
import { sales } from './index';

runSubgraph(sales);
