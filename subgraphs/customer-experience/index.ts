import path from 'node:path';
import type { Domain } from '../../shared/domain';
import * as data from './data';
import { createLoaders, type CustomerExperienceLoaders } from './loaders';
import * as initial from './migrations/001_initial';
import { resolvers } from './resolvers';
import { seed } from './seed';

/** Customer experience: product reviews, support tickets and customer satisfaction. */
export const customerExperience: Domain<CustomerExperienceLoaders> = {
  name: 'customer-experience',
  defaultPort: 4004,
  schemaFile: path.join(__dirname, 'schema.graphql'),
  resolvers,
  migrations: { '001_initial': initial },
  createLoaders,
  seed,
  isEmpty: async (db) => !(await data.hasAnyRow(db)),
};
