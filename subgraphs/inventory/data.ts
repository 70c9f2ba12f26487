import type { Database } from '../../shared/db';
import type { Connection } from '../../shared/pagination';
import { countRows, countsPerParent, fetchPage, fetchPagesPerParent, integerKeys, whereContains, type KeysetOrder, type PageOrder } from '../../shared/sql';

// The only module of the inventory domain that talks SQL. Rows keep the database's snake_case.

export interface ProductRow {
  id: number;
  sku: string;
  name: string;
  category_id: number;
  supplier_id: number;
  quantity_per_unit: string | null;
  unit_price: number;
  discontinued: boolean | number;
}

export interface StockRow {
  product_id: number;
  warehouse_id: number;
  on_hand: number;
  reserved: number;
  reorder_level: number;
}

export interface AvailabilityRow {
  product_id: number;
  on_hand: number;
  reserved: number;
  warehouse_count: number;
  low_count: number;
}

export interface ProductFilter {
  categoryId?: string | null;
  supplierId?: string | null;
  discontinued?: boolean | null;
  search?: string | null;
}

const PRODUCT_ORDER: Record<string, PageOrder> = {
  ID: { column: 'id', idColumn: 'id', direction: 'asc', types: ['integer', 'integer'], sortKey: 'id', idKey: 'id' },
  NAME: { column: 'name', idColumn: 'id', direction: 'asc', types: ['string', 'integer'], sortKey: 'name', idKey: 'id' },
  UNIT_PRICE: { column: 'unit_price', idColumn: 'id', direction: 'asc', types: ['number', 'integer'], sortKey: 'unit_price', idKey: 'id' },
};
const SUPPLIER_ORDER: PageOrder = {
  column: 'company_name', idColumn: 'id', direction: 'asc', types: ['string', 'integer'], sortKey: 'company_name', idKey: 'id',
};
const PRODUCTS_BY_NAME: KeysetOrder = { column: 'name', idColumn: 'id', direction: 'asc', types: ['string', 'integer'] };
const STOCK_BY_PRODUCT: KeysetOrder = { column: 'product_id', idColumn: 'product_id', direction: 'asc', types: ['integer', 'integer'] };

function filteredProducts(db: Database, filter: ProductFilter = {}) {
  const q = db.knex('products');
  if (filter.categoryId != null) q.whereIn('category_id', integerKeys([filter.categoryId]));
  if (filter.supplierId != null) q.whereIn('supplier_id', integerKeys([filter.supplierId]));
  if (filter.discontinued != null) q.where('discontinued', filter.discontinued);
  if (filter.search) whereContains(q, ['name', 'sku'], filter.search);
  return q;
}

export async function productPage(
  db: Database,
  args: { first: number; after?: string | null; filter?: ProductFilter | null; field?: string; direction?: 'asc' | 'desc' },
): Promise<Connection<ProductRow>> {
  const order = { ...PRODUCT_ORDER[args.field ?? 'ID'], direction: args.direction ?? 'asc' };
  return fetchPage<ProductRow>(filteredProducts(db, args.filter ?? {}).select('*'), order, args.first, args.after);
}

export async function countProducts(db: Database, filter?: ProductFilter | null): Promise<number> {
  return countRows(filteredProducts(db, filter ?? {}));
}

export async function productsByIds(db: Database, ids: readonly (string | number)[]): Promise<ProductRow[]> {
  return db.knex('products').whereIn('id', integerKeys(ids));
}

export async function productsBySkus(db: Database, skus: readonly (string | number)[]): Promise<ProductRow[]> {
  return db.knex('products').whereIn('sku', skus.map(String));
}

/** First page of products of each category (or supplier), by name: one statement for all parents. */
export async function productPagesBy(
  db: Database,
  column: 'category_id' | 'supplier_id',
  parentIds: readonly (string | number)[],
  first: number,
  after?: string | null,
): Promise<ProductRow[]> {
  const source = db.knex('products').whereIn(column, integerKeys(parentIds));
  return fetchPagesPerParent<ProductRow>(db.knex, source, 'products', column, PRODUCTS_BY_NAME, first, after);
}

export async function countProductsBy(db: Database, column: 'category_id' | 'supplier_id', parentIds: readonly (string | number)[]) {
  return countsPerParent(db.knex('products'), column, integerKeys(parentIds));
}

export async function categoriesByIds(db: Database, ids: readonly (string | number)[]) {
  return db.knex('categories').whereIn('id', integerKeys(ids));
}

export async function allCategories(db: Database) {
  return db.knex('categories').orderBy('name');
}

export async function suppliersByIds(db: Database, ids: readonly (string | number)[]) {
  return db.knex('suppliers').whereIn('id', integerKeys(ids));
}

export async function supplierPage(db: Database, first: number, after?: string | null) {
  return fetchPage(db.knex('suppliers').select('*'), SUPPLIER_ORDER, first, after);
}

export async function countSuppliers(db: Database): Promise<number> {
  return countRows(db.knex('suppliers'));
}

export async function warehousesByIds(db: Database, ids: readonly (string | number)[]) {
  return db.knex('warehouses').whereIn('id', integerKeys(ids));
}

export async function allWarehouses(db: Database) {
  return db.knex('warehouses').orderBy('code');
}

export async function stockByProducts(db: Database, productIds: readonly (string | number)[]): Promise<StockRow[]> {
  return db.knex('stock_levels').whereIn('product_id', integerKeys(productIds)).orderBy(['product_id', 'warehouse_id']);
}

/** Stock pages of each warehouse, by product id: one statement for all warehouses. */
export async function stockPagesByWarehouses(db: Database, warehouseIds: readonly (string | number)[], first: number, after?: string | null) {
  const source = db.knex('stock_levels').whereIn('warehouse_id', integerKeys(warehouseIds));
  return fetchPagesPerParent<StockRow>(db.knex, source, 'stock_levels', 'warehouse_id', STOCK_BY_PRODUCT, first, after);
}

export async function countStockByWarehouses(db: Database, warehouseIds: readonly (string | number)[]) {
  return countsPerParent(db.knex('stock_levels'), 'warehouse_id', integerKeys(warehouseIds));
}

/** Stock summed per product over all warehouses, with how many warehouses are at reorder level. */
export async function availabilityByProducts(db: Database, productIds: readonly (string | number)[]): Promise<AvailabilityRow[]> {
  return db
    .knex('stock_levels')
    .select('product_id')
    .sum({ on_hand: 'on_hand', reserved: 'reserved' })
    .count({ warehouse_count: '*' })
    .select(db.knex.raw('SUM(CASE WHEN on_hand - reserved <= reorder_level THEN 1 ELSE 0 END) AS low_count'))
    .whereIn('product_id', integerKeys(productIds))
    .groupBy('product_id');
}

export async function hasAnyProduct(db: Database): Promise<boolean> {
  const row = await db.knex('products').select('id').first();
  return row !== undefined;
}
