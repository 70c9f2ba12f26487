// Entry point of the logistics service: reads the environment, migrates, seeds demo data on first start, listens.
import { runSubgraph } from '../../shared/subgraph-main';
import { logistics } from './index';

runSubgraph(logistics);
