// Entry point of the customer-experience service: reads the environment, migrates, seeds demo data on first start, listens.
import { runSubgraph } from '../../shared/subgraph-main';
import { customerExperience } from './index';

runSubgraph(customerExperience);
