import { monthOf, type Database } from '../../shared/db';
import type { Connection } from '../../shared/pagination';
import { countRows, countsPerParent, fetchPage, fetchPagesPerParent, integerKeys, type PageOrder } from '../../shared/sql';

// The only module of the customer-experience domain that talks SQL. Rows keep the database's
// snake_case; timestamps are UTC ISO strings on both engines (stored as such in SQLite).

export interface ReviewRow {
  id: number;
  product_id: number;
  customer_id: string;
  order_id: number | null;
  rating: number;
  title: string | null;
  body: string | null;
  created_at: string;
}

export interface TicketRow {
  id: number;
  customer_id: string;
  order_id: number | null;
  subject: string;
  channel: string;
  priority: string;
  status: string;
  opened_at: string;
  closed_at: string | null;
  satisfaction_score: number | null;
}

/** How many rows gave one score (a review rating or a survey answer). */
export interface ScoreCount {
  score: number;
  n: number;
}

export interface TicketStats {
  customer_id: string;
  status: string;
  score: number | null;
  n: number;
}

/** Filters as resolvers validated them: ratings 1..5, dates as UTC ISO timestamps. */
export interface ReviewFilter {
  productId?: number;
  customerId?: string;
  minRating?: number;
  maxRating?: number;
  createdFrom?: string;
  createdTo?: string;
}

export interface TicketFilter {
  customerId?: string;
  status?: string[];
  priority?: string;
  channel?: string;
  openedFrom?: string;
  openedTo?: string;
}

export interface Period {
  from?: string;
  to?: string;
}

type Key = string | number;

// Parent keys as the columns store them: GraphQL IDs arrive as strings.
const KEYS = { product_id: integerKeys, customer_id: (keys: readonly Key[]) => keys.map(String) };

const NEWEST_REVIEWS: PageOrder = {
  column: 'created_at', idColumn: 'id', direction: 'desc', types: ['timestamp', 'integer'], sortKey: 'created_at', idKey: 'id',
};
const NEWEST_TICKETS: PageOrder = {
  column: 'opened_at', idColumn: 'id', direction: 'desc', types: ['timestamp', 'integer'], sortKey: 'opened_at', idKey: 'id',
};

// ---------------------------------------------------------------- reviews

function filteredReviews(db: Database, filter: ReviewFilter) {
  const q = db.knex('reviews');
  if (filter.productId != null) q.where('product_id', filter.productId);
  if (filter.customerId != null) q.where('customer_id', filter.customerId);
  if (filter.minRating != null) q.where('rating', '>=', filter.minRating);
  if (filter.maxRating != null) q.where('rating', '<=', filter.maxRating);
  if (filter.createdFrom) q.where('created_at', '>=', filter.createdFrom);
  if (filter.createdTo) q.where('created_at', '<=', filter.createdTo);
  return q;
}

export async function reviewsByIds(db: Database, ids: readonly Key[]): Promise<ReviewRow[]> {
  return db.knex('reviews').whereIn('id', integerKeys(ids));
}

export async function reviewPage(db: Database, first: number, after?: string | null, filter: ReviewFilter = {}): Promise<Connection<ReviewRow>> {
  return fetchPage<ReviewRow>(filteredReviews(db, filter).select('*'), NEWEST_REVIEWS, first, after);
}

export async function countReviews(db: Database, filter: ReviewFilter = {}): Promise<number> {
  return countRows(filteredReviews(db, filter));
}

/** Newest reviews of each product (or customer): one statement for all parents. */
export async function reviewPagesBy(
  db: Database,
  column: 'product_id' | 'customer_id',
  parentIds: readonly Key[],
  first: number,
  after?: string | null,
  minRating?: number,
): Promise<ReviewRow[]> {
  const source = db.knex('reviews').whereIn(column, KEYS[column](parentIds));
  if (minRating != null) source.where('rating', '>=', minRating);
  return fetchPagesPerParent<ReviewRow>(db.knex, source, 'reviews', column, NEWEST_REVIEWS, first, after);
}

export async function countReviewsByCustomers(db: Database, customerIds: readonly Key[]) {
  return countsPerParent(db.knex('reviews'), 'customer_id', KEYS.customer_id(customerIds));
}

export async function reviewsByOrders(db: Database, orderIds: readonly Key[]): Promise<ReviewRow[]> {
  return db.knex('reviews').whereIn('order_id', integerKeys(orderIds)).orderBy([{ column: 'created_at', order: 'desc' }, { column: 'id', order: 'desc' }]);
}

/** Reviews per product and rating: the product's count, mean and distribution in one statement. */
export async function ratingCountsByProducts(db: Database, productIds: readonly Key[]): Promise<(ScoreCount & { product_id: number })[]> {
  return db
    .knex('reviews')
    .select('product_id', { score: 'rating' })
    .count({ n: '*' })
    .whereIn('product_id', integerKeys(productIds))
    .groupBy('product_id', 'rating');
}

// ---------------------------------------------------------------- support tickets

function filteredTickets(db: Database, filter: TicketFilter) {
  const q = db.knex('support_tickets');
  if (filter.customerId != null) q.where('customer_id', filter.customerId);
  if (filter.status) q.whereIn('status', filter.status);
  if (filter.priority) q.where('priority', filter.priority);
  if (filter.channel) q.where('channel', filter.channel);
  if (filter.openedFrom) q.where('opened_at', '>=', filter.openedFrom);
  if (filter.openedTo) q.where('opened_at', '<=', filter.openedTo);
  return q;
}

export async function ticketsByIds(db: Database, ids: readonly Key[]): Promise<TicketRow[]> {
  return db.knex('support_tickets').whereIn('id', integerKeys(ids));
}

export async function ticketPage(db: Database, first: number, after?: string | null, filter: TicketFilter = {}): Promise<Connection<TicketRow>> {
  return fetchPage<TicketRow>(filteredTickets(db, filter).select('*'), NEWEST_TICKETS, first, after);
}

export async function countTickets(db: Database, filter: TicketFilter = {}): Promise<number> {
  return countRows(filteredTickets(db, filter));
}

/** Newest tickets of each customer, optionally only in some states: one statement for all customers. */
export async function ticketPagesByCustomers(db: Database, customerIds: readonly Key[], first: number, after?: string | null, status?: string[]): Promise<TicketRow[]> {
  const source = db.knex('support_tickets').whereIn('customer_id', KEYS.customer_id(customerIds));
  if (status) source.whereIn('status', status);
  return fetchPagesPerParent<TicketRow>(db.knex, source, 'support_tickets', 'customer_id', NEWEST_TICKETS, first, after);
}

export async function ticketsByOrders(db: Database, orderIds: readonly Key[]): Promise<TicketRow[]> {
  return db.knex('support_tickets').whereIn('order_id', integerKeys(orderIds)).orderBy([{ column: 'opened_at', order: 'desc' }, { column: 'id', order: 'desc' }]);
}

/** Tickets per customer, status and survey answer (null when unanswered): their counts and satisfaction in one statement. */
export async function ticketStatsByCustomers(db: Database, customerIds: readonly Key[]): Promise<TicketStats[]> {
  return db
    .knex('support_tickets')
    .select('customer_id', 'status', { score: 'satisfaction_score' })
    .count({ n: '*' })
    .whereIn('customer_id', KEYS.customer_id(customerIds))
    .groupBy('customer_id', 'status', 'satisfaction_score');
}

/**
 * Survey answers of the tickets closed in a period, per channel, UTC month of closing and score:
 * few enough rows (channels × months × 5) for every figure of the report to be summed from them.
 */
export async function satisfactionCounts(db: Database, period: Period): Promise<(ScoreCount & { channel: string; month: string })[]> {
  const month = db.knex.raw('? AS month', [monthOf(db, 'closed_at')]);
  const q = db
    .knex('support_tickets')
    .select('channel', month, { score: 'satisfaction_score' })
    .count({ n: '*' })
    .whereNotNull('closed_at')
    .whereNotNull('satisfaction_score');
  if (period.from) q.where('closed_at', '>=', period.from);
  if (period.to) q.where('closed_at', '<=', period.to);
  return (await q.groupBy('channel', 'month', 'satisfaction_score').orderBy('month')) as (ScoreCount & { channel: string; month: string })[];
}

export async function hasAnyRow(db: Database): Promise<boolean> {
  const review = await db.knex('reviews').select('id').first();
  return review !== undefined || (await db.knex('support_tickets').select('id').first()) !== undefined;
}
