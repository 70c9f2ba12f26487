import type { Database } from '../../shared/db';
import { groupLoader, loadersByArgs, rowLoader } from '../../shared/loaders';
import * as data from './data';

/** Per-request loaders of the inventory domain: every entity and relation goes through one. */
export function createLoaders(db: Database) {
  return {
    product: rowLoader((ids) => data.productsByIds(db, ids), (row) => row.id),
    productBySku: rowLoader((skus) => data.productsBySkus(db, skus), (row) => row.sku),
    category: rowLoader((ids) => data.categoriesByIds(db, ids), (row) => row.id),
    supplier: rowLoader((ids) => data.suppliersByIds(db, ids), (row) => row.id),
    warehouse: rowLoader((ids) => data.warehousesByIds(db, ids), (row) => row.id),
    stockByProduct: groupLoader((ids) => data.stockByProducts(db, ids), (row) => row.product_id),
    availability: rowLoader((ids) => data.availabilityByProducts(db, ids), (row) => row.product_id),
    productsByCategory: loadersByArgs(({ first, after }) =>
      groupLoader((ids) => data.productPagesBy(db, 'category_id', ids, first, after), (row) => row.category_id),
    ),
    productsBySupplier: loadersByArgs(({ first, after }) =>
      groupLoader((ids) => data.productPagesBy(db, 'supplier_id', ids, first, after), (row) => row.supplier_id),
    ),
    productCountByCategory: rowLoader((ids) => data.countProductsBy(db, 'category_id', ids), (row) => row.parent_id),
    productCountBySupplier: rowLoader((ids) => data.countProductsBy(db, 'supplier_id', ids), (row) => row.parent_id),
    stockByWarehouse: loadersByArgs(({ first, after }) =>
      groupLoader((ids) => data.stockPagesByWarehouses(db, ids, first, after), (row) => row.warehouse_id),
    ),
    stockCountByWarehouse: rowLoader((ids) => data.countStockByWarehouses(db, ids), (row) => row.parent_id),
  };
}

export type InventoryLoaders = ReturnType<typeof createLoaders>;
