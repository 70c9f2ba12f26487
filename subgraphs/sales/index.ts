import path from 'node:path';
import type { Domain } from '../../shared/domain';
import * as data from './data';
import { importNorthwind } from './import-northwind';
import { createLoaders, type SalesLoaders } from './loaders';
import * as initial from './migrations/001_initial';
import { applySalesPolicy } from './policy';
import { resolvers } from './resolvers';
import { seed } from './seed';

/** Sales: customers, orders and their lines, sales representatives, and sales figures. */
export const sales: Domain<SalesLoaders> = {
  name: 'sales',
  defaultPort: 4002,
  schemaFile: path.join(__dirname, 'schema.graphql'),
  resolvers,
  migrations: { '001_initial': initial },
  createLoaders,
  seed,
  isEmpty: async (db) => !(await data.hasAnyCustomerOrOrder(db)),
  importers: { northwind: importNorthwind },
  applyPolicy: applySalesPolicy,
};
