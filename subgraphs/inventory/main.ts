// Entry point of the inventory service: reads the environment, migrates, seeds demo data on first start, listens.
import { runSubgraph } from '../../shared/subgraph-main';
import { inventory } from './index';

runSubgraph(inventory);
