import { daysBetween, type Database } from '../../shared/db';
import { badUserInput } from '../../shared/errors';
import { decodeCursor, type Connection } from '../../shared/pagination';
import { fetchPage, fetchPagesPerParent, type Direction, type KeysetOrder } from '../../shared/sql';

// The only module of the logistics domain that talks SQL. Rows keep the database's snake_case.

export interface CarrierRow {
  id: number;
  name: string;
  phone: string | null;
}

export interface ShipmentRow {
  id: string;
  order_id: number;
  carrier_id: number;
  status: string;
  /** ISO 8601 timestamps on both engines (shared/db.ts parses PostgreSQL's). */
  shipped_at: string;
  delivered_at: string | null;
  freight: number;
  tracking_number: string | null;
  street: string | null;
  city: string | null;
  region: string | null;
  postal_code: string | null;
  country: string | null;
}

export interface TrackingEventRow {
  shipment_id: string;
  sequence: number;
  occurred_at: string;
  status: string;
  location: string | null;
}

export interface DeliveryStatsRow {
  carrier_id: number;
  shipment_count: number;
  delivered_count: number;
  in_transit_count: number;
  average_days: number | null;
  fastest_days: number | null;
  slowest_days: number | null;
  total_freight: number;
}

/** A validated filter: ids as integers, the shipping days as a half-open timestamp range. */
export interface ShipmentFilter {
  carrierId?: number;
  orderId?: number;
  status?: readonly string[];
  shippedFrom?: string;
  shippedBefore?: string;
}

export type ShipmentSortField = 'SHIPPED_AT' | 'FREIGHT';

const ISO_TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

// `valid` checks a cursor's sort value before it reaches SQL: PostgreSQL fails on a timestamp
// compared with a word, which would surface as an internal error instead of BAD_USER_INPUT.
const SHIPMENT_ORDER: Record<ShipmentSortField, KeysetOrder & { sortKey: string; idKey: string; valid: (v: unknown) => boolean }> = {
  SHIPPED_AT: {
    column: 'shipped_at', idColumn: 'id', direction: 'asc', sortKey: 'shipped_at', idKey: 'id',
    valid: (v) => typeof v === 'string' && ISO_TIMESTAMP.test(v) && !Number.isNaN(Date.parse(v)),
  },
  FREIGHT: { column: 'freight', idColumn: 'id', direction: 'asc', sortKey: 'freight', idKey: 'id', valid: (v) => typeof v === 'number' },
};

/** Integer ids as the database stores them; `null` for anything no row can have (PostgreSQL `integer`). */
export function intId(id: string | number): number | null {
  const n = Number(id);
  return Number.isInteger(n) && n >= 0 && n <= 2_147_483_647 ? n : null;
}

const intIds = (ids: readonly (string | number)[]) => ids.map(intId).filter((n): n is number => n !== null);

/** Refuses a cursor this field cannot have issued (BAD_USER_INPUT), before any SQL runs. */
export function checkShipmentCursor(after: string | null | undefined, field: ShipmentSortField = 'SHIPPED_AT'): void {
  if (!after) return;
  const [value, id] = decodeCursor(after, 2);
  if (!SHIPMENT_ORDER[field].valid(value) || typeof id !== 'string') throw badUserInput('after is not a cursor returned by this field', 'after');
}

function filteredShipments(db: Database, filter: ShipmentFilter = {}) {
  const q = db.knex('shipments');
  if (filter.carrierId !== undefined) q.where('carrier_id', filter.carrierId);
  if (filter.orderId !== undefined) q.where('order_id', filter.orderId);
  if (filter.status) q.whereIn('status', filter.status);
  if (filter.shippedFrom) q.where('shipped_at', '>=', filter.shippedFrom);
  if (filter.shippedBefore) q.where('shipped_at', '<', filter.shippedBefore);
  return q;
}

export async function shipmentPage(
  db: Database,
  args: { first: number; after?: string | null; filter?: ShipmentFilter; field?: ShipmentSortField; direction?: Direction },
): Promise<Connection<ShipmentRow>> {
  const field = args.field ?? 'SHIPPED_AT';
  checkShipmentCursor(args.after, field);
  const order = { ...SHIPMENT_ORDER[field], direction: args.direction ?? 'asc' };
  return fetchPage<ShipmentRow>(filteredShipments(db, args.filter).select('*'), order, args.first, args.after);
}

export async function countShipments(db: Database, filter?: ShipmentFilter): Promise<number> {
  const row = await filteredShipments(db, filter).count({ n: '*' }).first();
  return Number(row?.n ?? 0);
}

/** Shipment pages of each carrier, oldest shipping date first: one statement for all carriers. */
export async function shipmentPagesByCarriers(
  db: Database,
  carrierIds: readonly (string | number)[],
  first: number,
  after?: string | null,
  filter?: ShipmentFilter,
): Promise<ShipmentRow[]> {
  const source = filteredShipments(db, filter).select('shipments.*').whereIn('carrier_id', intIds(carrierIds));
  return fetchPagesPerParent<ShipmentRow>(db.knex, source, 'carrier_id', SHIPMENT_ORDER.SHIPPED_AT, first, after);
}

export async function countShipmentsByCarriers(db: Database, carrierIds: readonly (string | number)[], filter?: ShipmentFilter) {
  return filteredShipments(db, filter)
    .select({ parent_id: 'carrier_id' })
    .count({ n: '*' })
    .whereIn('carrier_id', intIds(carrierIds))
    .groupBy('carrier_id') as Promise<{ parent_id: number; n: number }[]>;
}

export async function shipmentsByIds(db: Database, ids: readonly (string | number)[]): Promise<ShipmentRow[]> {
  return db.knex('shipments').whereIn('id', ids.map(String));
}

export async function shipmentsByOrders(db: Database, orderIds: readonly (string | number)[]): Promise<ShipmentRow[]> {
  return db.knex('shipments').whereIn('order_id', intIds(orderIds)).orderBy(['order_id', 'shipped_at', 'id']);
}

export async function trackingEventsByShipments(db: Database, shipmentIds: readonly (string | number)[]): Promise<TrackingEventRow[]> {
  return db.knex('tracking_events').whereIn('shipment_id', shipmentIds.map(String)).orderBy(['shipment_id', 'sequence']);
}

export async function carriersByIds(db: Database, ids: readonly (string | number)[]): Promise<CarrierRow[]> {
  return db.knex('carriers').whereIn('id', intIds(ids));
}

export async function allCarriers(db: Database): Promise<CarrierRow[]> {
  return db.knex('carriers').orderBy(['name', 'id']);
}

/** Counts and delivery times per carrier, in the engine's own date arithmetic. */
export async function deliveryStatsByCarriers(db: Database, carrierIds: readonly (string | number)[]): Promise<DeliveryStatsRow[]> {
  // NULL until delivered, so the aggregates cover delivered shipments only.
  const days = daysBetween(db, 'shipped_at', 'delivered_at');
  return db
    .knex('shipments')
    .select('carrier_id')
    .count({ shipment_count: '*' })
    .select(
      db.knex.raw(
        `SUM(CASE WHEN status = 'DELIVERED' THEN 1 ELSE 0 END) AS delivered_count,
         SUM(CASE WHEN status = 'IN_TRANSIT' THEN 1 ELSE 0 END) AS in_transit_count,
         AVG(?) AS average_days, MIN(?) AS fastest_days, MAX(?) AS slowest_days`,
        [days, days, days],
      ),
    )
    .sum({ total_freight: 'freight' })
    .whereIn('carrier_id', intIds(carrierIds))
    .groupBy('carrier_id');
}

export async function hasAnyData(db: Database): Promise<boolean> {
  const carrier = await db.knex('carriers').select('id').first();
  return carrier !== undefined || (await db.knex('shipments').select('id').first()) !== undefined;
}
