import path from 'node:path';
import type { Domain } from '../../shared/domain';
import * as data from './data';
import { importNorthwind } from './import-northwind';
import { createLoaders, type LogisticsLoaders } from './loaders';
import * as initial from './migrations/001_initial';
import { resolvers } from './resolvers';
import { seed } from './seed';

/** Logistics: carriers, shipments of orders and their tracking, delivery performance. */
export const logistics: Domain<LogisticsLoaders> = {
  name: 'logistics',
  defaultPort: 4003,
  schemaFile: path.join(__dirname, 'schema.graphql'),
  resolvers,
  migrations: { '001_initial': initial },
  createLoaders,
  seed,
  isEmpty: async (db) => !(await data.hasAnyData(db)),
  importers: { northwind: importNorthwind },
};
