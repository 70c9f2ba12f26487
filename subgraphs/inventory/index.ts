import path from 'node:path';
import type { Domain } from '../../shared/domain';
import * as data from './data';
import { importNorthwind } from './import-northwind';
import { createLoaders, type InventoryLoaders } from './loaders';
import * as initial from './migrations/001_initial';
import { resolvers } from './resolvers';
import { seed } from './seed';

/** Inventory: products, categories, suppliers, warehouses and stock. */
export const inventory: Domain<InventoryLoaders> = {
  name: 'inventory',
  defaultPort: 4001,
  schemaFile: path.join(__dirname, 'schema.graphql'),
  resolvers,
  migrations: { '001_initial': initial },
  createLoaders,
  seed,
  isEmpty: async (db) => !(await data.hasAnyProduct(db)),
  importers: { northwind: importNorthwind },
};
