import type { Knex } from 'knex';
import type { AddressColumns } from '../../shared/address';
import type { Database } from '../../shared/db';
import type { Connection } from '../../shared/pagination';
import { countRows, countsPerParent, fetchPage, fetchPagesPerParent, integerKeys, whereContains, type Direction, type PageOrder } from '../../shared/sql';

// The only module of the sales domain that talks SQL. Rows keep the database's snake_case.

type Key = string | number;

export interface CustomerRow extends AddressColumns {
  id: string;
  company_name: string;
  contact_name: string | null;
  contact_title: string | null;
  email: string | null;
  phone: string | null;
}

export interface SalesRepRow {
  id: number;
  first_name: string;
  last_name: string;
  title: string | null;
  hire_date: string | null;
  birth_date: string | null;
  home_phone: string | null;
  reports_to: number | null;
}

export interface OrderRow {
  id: number;
  customer_id: string;
  sales_rep_id: number;
  order_date: string;
  required_date: string | null;
  status: string;
}

export interface LineRow {
  order_id: number;
  line_number: number;
  product_id: number;
  quantity: number;
  unit_price: number;
  discount: number;
}

export interface CustomerSummaryRow {
  customer_id: string;
  order_count: number;
  revenue: number | null;
  first_order_date: string;
  last_order_date: string;
}

export interface ProductStatsRow {
  product_id: number;
  units_sold: number;
  revenue: number;
  order_count: number;
}

export interface CustomerFilter {
  country?: string | null;
  search?: string | null;
  /** Only this customer: set by the sales policy (policy.ts) for customer principals, never by callers (not in the schema). */
  id?: string | null;
}

/** Validated by the resolvers: dates are ISO days. */
export interface OrderFilter {
  customerId?: string | null;
  salesRepId?: string | null;
  status?: readonly string[] | null;
  orderedFrom?: string | null;
  orderedTo?: string | null;
}

export type OrderSortField = 'ORDER_DATE' | 'ID';

export interface OrderQuery {
  first: number;
  after?: string | null;
  filter: OrderFilter;
  field: OrderSortField;
  direction: Direction;
}

const ORDER_KEYS: Record<OrderSortField, Pick<PageOrder, 'column' | 'sortKey' | 'types'>> = {
  ORDER_DATE: { column: 'order_date', sortKey: 'order_date', types: ['date', 'integer'] },
  ID: { column: 'id', sortKey: 'id', types: ['integer', 'integer'] },
};

const CUSTOMER_ORDER: PageOrder = {
  column: 'company_name', idColumn: 'id', direction: 'asc', types: ['string', 'string'], sortKey: 'company_name', idKey: 'id',
};

export function orderKeyset(field: OrderSortField, direction: Direction): PageOrder {
  return { ...ORDER_KEYS[field], idColumn: 'id', idKey: 'id', direction };
}

/** Parent keys as the column stores them: customer ids are text, sales rep ids integers. */
const parentKeys = (column: 'customer_id' | 'sales_rep_id', keys: readonly Key[]) =>
  column === 'customer_id' ? keys.map(String) : integerKeys(keys);

const LINE_AMOUNT = 'l.quantity * l.unit_price * (1 - l.discount)';

function filteredCustomers(db: Database, filter: CustomerFilter = {}) {
  const q = db.knex('customers');
  if (filter.country != null) q.where('country', filter.country);
  if (filter.search) whereContains(q, ['company_name', 'contact_name'], filter.search);
  if (filter.id != null) q.where('id', String(filter.id));
  return q;
}

export async function customerPage(db: Database, first: number, after?: string | null, filter?: CustomerFilter | null): Promise<Connection<CustomerRow>> {
  return fetchPage<CustomerRow>(filteredCustomers(db, filter ?? {}).select('*'), CUSTOMER_ORDER, first, after);
}

export async function countCustomers(db: Database, filter?: CustomerFilter | null): Promise<number> {
  return countRows(filteredCustomers(db, filter ?? {}));
}

export async function customersByIds(db: Database, ids: readonly Key[]): Promise<CustomerRow[]> {
  return db.knex('customers').whereIn('id', ids.map(String));
}

export async function salesRepsByIds(db: Database, ids: readonly Key[]): Promise<SalesRepRow[]> {
  return db.knex('sales_reps').whereIn('id', integerKeys(ids));
}

export async function allSalesReps(db: Database): Promise<SalesRepRow[]> {
  return db.knex('sales_reps').orderBy('id');
}

function filteredOrders(db: Database, filter: OrderFilter): Knex.QueryBuilder {
  const q = db.knex('orders');
  if (filter.customerId != null) q.where('customer_id', String(filter.customerId));
  if (filter.salesRepId != null) q.whereIn('sales_rep_id', integerKeys([filter.salesRepId]));
  if (filter.status != null) q.whereIn('status', [...filter.status]);
  if (filter.orderedFrom != null) q.where('order_date', '>=', filter.orderedFrom);
  if (filter.orderedTo != null) q.where('order_date', '<=', filter.orderedTo);
  return q;
}

export async function orderPage(db: Database, query: OrderQuery): Promise<Connection<OrderRow>> {
  return fetchPage<OrderRow>(filteredOrders(db, query.filter).select('*'), orderKeyset(query.field, query.direction), query.first, query.after);
}

export async function countOrders(db: Database, filter: OrderFilter): Promise<number> {
  return countRows(filteredOrders(db, filter));
}

export async function ordersByIds(db: Database, ids: readonly Key[]): Promise<OrderRow[]> {
  return db.knex('orders').whereIn('id', integerKeys(ids));
}

/** A page of orders of each customer (or sales rep): one statement for all parents. */
export async function orderPagesBy(
  db: Database,
  column: 'customer_id' | 'sales_rep_id',
  parentIds: readonly Key[],
  query: OrderQuery,
): Promise<OrderRow[]> {
  const source = filteredOrders(db, query.filter).whereIn(column, parentKeys(column, parentIds));
  return fetchPagesPerParent<OrderRow>(db.knex, source, 'orders', column, orderKeyset(query.field, query.direction), query.first, query.after);
}

export async function countOrdersBy(db: Database, column: 'customer_id' | 'sales_rep_id', parentIds: readonly Key[], filter: OrderFilter) {
  return countsPerParent<Key>(filteredOrders(db, filter), column, parentKeys(column, parentIds));
}

export async function linesByOrders(db: Database, orderIds: readonly Key[]): Promise<LineRow[]> {
  return db.knex('order_lines').whereIn('order_id', integerKeys(orderIds)).orderBy(['order_id', 'line_number']);
}

/** Order count, revenue and first/last order day per customer, over non-cancelled orders. */
export async function summariesByCustomers(db: Database, customerIds: readonly Key[]): Promise<CustomerSummaryRow[]> {
  return db
    .knex('orders as o')
    .leftJoin('order_lines as l', 'l.order_id', 'o.id')
    .select({ customer_id: 'o.customer_id' })
    .countDistinct({ order_count: 'o.id' })
    .select(db.knex.raw(`SUM(${LINE_AMOUNT}) AS revenue`))
    .min({ first_order_date: 'o.order_date' })
    .max({ last_order_date: 'o.order_date' })
    .whereIn('o.customer_id', customerIds.map(String))
    .whereNot('o.status', 'CANCELLED')
    .groupBy('o.customer_id');
}

/** Units, revenue and order count per product, over non-cancelled orders. */
export async function statsByProducts(db: Database, productIds: readonly Key[]): Promise<ProductStatsRow[]> {
  return db
    .knex('order_lines as l')
    .join('orders as o', 'o.id', 'l.order_id')
    .select({ product_id: 'l.product_id' })
    .sum({ units_sold: 'l.quantity' })
    .select(db.knex.raw(`SUM(${LINE_AMOUNT}) AS revenue`))
    .countDistinct({ order_count: 'l.order_id' })
    .whereIn('l.product_id', integerKeys(productIds))
    .whereNot('o.status', 'CANCELLED')
    .groupBy('l.product_id');
}

export async function hasAnyCustomerOrOrder(db: Database): Promise<boolean> {
  if (await db.knex('customers').select('id').first()) return true;
  return (await db.knex('orders').select('id').first()) !== undefined;
}
