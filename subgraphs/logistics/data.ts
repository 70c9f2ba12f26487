import type { AddressColumns } from '../../shared/address';
import { daysBetween, type Database } from '../../shared/db';
import type { Connection } from '../../shared/pagination';
import { countRows, countsPerParent, fetchPage, fetchPagesPerParent, integerKeys, type Direction, type PageOrder } from '../../shared/sql';

// The only module of the logistics domain that talks SQL. Rows keep the database's snake_case.

export interface CarrierRow {
  id: number;
  name: string;
  phone: string | null;
}

export interface ShipmentRow extends AddressColumns {
  id: string;
  order_id: number;
  carrier_id: number;
  status: string;
  /** ISO 8601 timestamps on both engines (shared/db.ts parses PostgreSQL's). */
  shipped_at: string;
  delivered_at: string | null;
  freight: number;
  tracking_number: string | null;
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

/** A validated filter: ids as integers, the shipping days as UTC timestamps, both bounds inclusive. */
export interface ShipmentFilter {
  carrierId?: number;
  orderId?: number;
  status?: readonly string[];
  shippedFrom?: string;
  shippedTo?: string;
}

export type ShipmentSortField = 'SHIPPED_AT' | 'FREIGHT';

const SHIPMENT_ORDER: Record<ShipmentSortField, PageOrder> = {
  SHIPPED_AT: { column: 'shipped_at', idColumn: 'id', direction: 'asc', types: ['timestamp', 'string'], sortKey: 'shipped_at', idKey: 'id' },
  FREIGHT: { column: 'freight', idColumn: 'id', direction: 'asc', types: ['number', 'string'], sortKey: 'freight', idKey: 'id' },
};

function filteredShipments(db: Database, filter: ShipmentFilter = {}) {
  const q = db.knex('shipments');
  if (filter.carrierId !== undefined) q.where('carrier_id', filter.carrierId);
  if (filter.orderId !== undefined) q.where('order_id', filter.orderId);
  if (filter.status) q.whereIn('status', filter.status);
  if (filter.shippedFrom) q.where('shipped_at', '>=', filter.shippedFrom);
  if (filter.shippedTo) q.where('shipped_at', '<=', filter.shippedTo);
  return q;
}

export async function shipmentPage(
  db: Database,
  args: { first: number; after?: string | null; filter?: ShipmentFilter; field?: ShipmentSortField; direction?: Direction },
): Promise<Connection<ShipmentRow>> {
  const order = { ...SHIPMENT_ORDER[args.field ?? 'SHIPPED_AT'], direction: args.direction ?? 'asc' };
  return fetchPage<ShipmentRow>(filteredShipments(db, args.filter).select('*'), order, args.first, args.after);
}

export async function countShipments(db: Database, filter?: ShipmentFilter): Promise<number> {
  return countRows(filteredShipments(db, filter));
}

/** Shipment pages of each carrier, oldest shipping date first: one statement for all carriers. */
export async function shipmentPagesByCarriers(
  db: Database,
  carrierIds: readonly (string | number)[],
  first: number,
  after?: string | null,
  filter?: ShipmentFilter,
): Promise<ShipmentRow[]> {
  const source = filteredShipments(db, filter).whereIn('carrier_id', integerKeys(carrierIds));
  return fetchPagesPerParent<ShipmentRow>(db.knex, source, 'shipments', 'carrier_id', SHIPMENT_ORDER.SHIPPED_AT, first, after);
}

export async function countShipmentsByCarriers(db: Database, carrierIds: readonly (string | number)[], filter?: ShipmentFilter) {
  return countsPerParent(filteredShipments(db, filter), 'carrier_id', integerKeys(carrierIds));
}

export async function shipmentsByIds(db: Database, ids: readonly (string | number)[]): Promise<ShipmentRow[]> {
  return db.knex('shipments').whereIn('id', ids.map(String));
}

export async function shipmentsByOrders(db: Database, orderIds: readonly (string | number)[]): Promise<ShipmentRow[]> {
  return db.knex('shipments').whereIn('order_id', integerKeys(orderIds)).orderBy(['order_id', 'shipped_at', 'id']);
}

export async function trackingEventsByShipments(db: Database, shipmentIds: readonly (string | number)[]): Promise<TrackingEventRow[]> {
  return db.knex('tracking_events').whereIn('shipment_id', shipmentIds.map(String)).orderBy(['shipment_id', 'sequence']);
}

export async function carriersByIds(db: Database, ids: readonly (string | number)[]): Promise<CarrierRow[]> {
  return db.knex('carriers').whereIn('id', integerKeys(ids));
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
    .whereIn('carrier_id', integerKeys(carrierIds))
    .groupBy('carrier_id');
}

export async function hasAnyData(db: Database): Promise<boolean> {
  const carrier = await db.knex('carriers').select('id').first();
  return carrier !== undefined || (await db.knex('shipments').select('id').first()) !== undefined;
}
