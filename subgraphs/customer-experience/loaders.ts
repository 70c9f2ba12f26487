import type { Database } from '../../shared/db';
import { groupLoader, loadersByArgs, rowLoader } from '../../shared/loaders';
import * as data from './data';

/** Per-request loaders of the customer-experience domain: every entity and relation goes through one. */
export function createLoaders(db: Database) {
  return {
    review: rowLoader((ids) => data.reviewsByIds(db, ids), (row) => row.id),
    ticket: rowLoader((ids) => data.ticketsByIds(db, ids), (row) => row.id),
    reviewsByProduct: loadersByArgs(({ first, after, minRating }) =>
      groupLoader((ids) => data.reviewPagesBy(db, 'product_id', ids, first, after, minRating), (row) => row.product_id),
    ),
    ratingsByProduct: groupLoader((ids) => data.ratingCountsByProducts(db, ids), (row) => row.product_id),
    reviewsByCustomer: loadersByArgs(({ first, after }) =>
      groupLoader((ids) => data.reviewPagesBy(db, 'customer_id', ids, first, after), (row) => row.customer_id),
    ),
    reviewCountByCustomer: rowLoader((ids) => data.countReviewsByCustomers(db, ids), (row) => row.parent_id),
    ticketsByCustomer: loadersByArgs(({ first, after, status }) =>
      groupLoader((ids) => data.ticketPagesByCustomers(db, ids, first, after, status), (row) => row.customer_id),
    ),
    ticketStatsByCustomer: groupLoader((ids) => data.ticketStatsByCustomers(db, ids), (row) => row.customer_id),
    reviewsByOrder: groupLoader((ids) => data.reviewsByOrders(db, ids), (row) => row.order_id!),
    ticketsByOrder: groupLoader((ids) => data.ticketsByOrders(db, ids), (row) => row.order_id!),
  };
}

export type CustomerExperienceLoaders = ReturnType<typeof createLoaders>;
