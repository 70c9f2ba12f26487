import type { Database } from '../../shared/db';
import { groupLoader, loadersByArgs, rowLoader } from '../../shared/loaders';
import * as data from './data';

/** Per-request loaders of the sales domain: every entity and relation goes through one. */
export function createLoaders(db: Database) {
  return {
    customer: rowLoader((ids) => data.customersByIds(db, ids), (row) => row.id),
    salesRep: rowLoader((ids) => data.salesRepsByIds(db, ids), (row) => row.id),
    order: rowLoader((ids) => data.ordersByIds(db, ids), (row) => row.id),
    linesByOrder: groupLoader((ids) => data.linesByOrders(db, ids), (row) => row.order_id),
    customerSummary: rowLoader((ids) => data.summariesByCustomers(db, ids), (row) => row.customer_id),
    productStats: rowLoader((ids) => data.statsByProducts(db, ids), (row) => row.product_id),
    ordersByCustomer: loadersByArgs((query: data.OrderQuery) =>
      groupLoader((ids) => data.orderPagesBy(db, 'customer_id', ids, query), (row) => row.customer_id),
    ),
    ordersBySalesRep: loadersByArgs((query: data.OrderQuery) =>
      groupLoader((ids) => data.orderPagesBy(db, 'sales_rep_id', ids, query), (row) => row.sales_rep_id),
    ),
    orderCountByCustomer: loadersByArgs((filter: data.OrderFilter) =>
      rowLoader((ids) => data.countOrdersBy(db, 'customer_id', ids, filter), (row) => row.parent_id),
    ),
    orderCountBySalesRep: loadersByArgs((filter: data.OrderFilter) =>
      rowLoader((ids) => data.countOrdersBy(db, 'sales_rep_id', ids, filter), (row) => row.parent_id),
    ),
  };
}

export type SalesLoaders = ReturnType<typeof createLoaders>;
