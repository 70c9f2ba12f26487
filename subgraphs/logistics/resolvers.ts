import { postalAddress } from '../../shared/address';
import { dateArgument, endOfDay, integerIdArgument, startOfDay } from '../../shared/arguments';
import type { DomainContext } from '../../shared/domain';
import { roundCents } from '../../shared/money';
import { connectionResolvers, mapConnection, pageSize, toConnection, type PageArgs } from '../../shared/pagination';
import * as data from './data';
import type { LogisticsLoaders } from './loaders';

type Ctx = DomainContext<LogisticsLoaders>;

interface ShipmentFilterInput {
  carrierId?: string | null;
  status?: string[] | null;
  orderId?: string | null;
  shippedFrom?: string | null;
  shippedTo?: string | null;
}

type ShipmentArgs = PageArgs & { filter?: ShipmentFilterInput | null };

const DAY_MS = 86_400_000;

// SQLite's julianday is a binary float, so engines differ in the last digits; a millionth of a
// day (0.09 s) is far below the data's precision and makes both report the same figure.
const days = (value: number | null | undefined) => (value == null ? null : Math.round(value * 1e6) / 1e6);

const shipment = (row: data.ShipmentRow) => ({
  id: row.id,
  orderId: row.order_id,
  carrierId: row.carrier_id,
  status: row.status,
  shippedAt: row.shipped_at,
  deliveredAt: row.delivered_at,
  deliveryDays: row.delivered_at ? days((Date.parse(row.delivered_at) - Date.parse(row.shipped_at)) / DAY_MS) : null,
  freight: row.freight,
  trackingNumber: row.tracking_number,
  deliveryAddress: postalAddress(row),
});

type Shipment = ReturnType<typeof shipment>;

const trackingEvent = (row: data.TrackingEventRow) => ({
  sequence: row.sequence,
  occurredAt: row.occurred_at,
  status: row.status,
  location: row.location,
});

const byShippedAt = (s: Shipment) => [s.shippedAt, s.id];

// Filter errors name the field and report the whole `filter` argument.
const IN_FILTER = { argumentName: 'filter' };

/** Validates a GraphQL filter; equal inputs give equal objects, so they share one loader. Shipping days count whole (UTC). */
function shipmentFilter(input?: ShipmentFilterInput | null): data.ShipmentFilter {
  const filter: data.ShipmentFilter = {};
  if (input?.carrierId != null) filter.carrierId = integerIdArgument(input.carrierId, 'filter.carrierId', IN_FILTER);
  if (input?.orderId != null) filter.orderId = integerIdArgument(input.orderId, 'filter.orderId', IN_FILTER);
  if (input?.status != null) filter.status = input.status;
  if (input?.shippedFrom != null) filter.shippedFrom = startOfDay(dateArgument(input.shippedFrom, 'filter.shippedFrom', IN_FILTER));
  if (input?.shippedTo != null) filter.shippedTo = endOfDay(dateArgument(input.shippedTo, 'filter.shippedTo', IN_FILTER));
  return filter;
}

/** An order's parcels as a whole: delivered only when all are, in transit while any is tracked. */
function overallStatus(rows: data.ShipmentRow[]): string | null {
  if (rows.length === 0) return null;
  if (rows.every((r) => r.status === 'DELIVERED')) return 'DELIVERED';
  return rows.some((r) => r.status === 'IN_TRANSIT') ? 'IN_TRANSIT' : 'SHIPPED';
}

async function shipmentById(id: string, ctx: Ctx) {
  const row = await ctx.loaders.shipment.load(id);
  return row && shipment(row);
}

export const resolvers = {
  ShipmentConnection: connectionResolvers,
  Query: {
    carriers: async (_: unknown, __: unknown, ctx: Ctx) => {
      const rows = await data.allCarriers(ctx.db);
      // Shipment.carrier lookups later in this request then need no statement.
      for (const row of rows) ctx.loaders.carrier.prime(row.id, row);
      return rows;
    },
    carrier: (_: unknown, { id }: { id: string }, ctx: Ctx) => ctx.loaders.carrier.load(id),
    shipment: (_: unknown, { id }: { id: string }, ctx: Ctx) => shipmentById(id, ctx),
    shipments: async (_: unknown, args: ShipmentArgs & { orderBy?: { field: data.ShipmentSortField; direction: 'ASC' | 'DESC' } }, ctx: Ctx) => {
      const filter = shipmentFilter(args.filter);
      const page = await data.shipmentPage(ctx.db, {
        first: pageSize(args.first),
        after: args.after,
        filter,
        field: args.orderBy?.field,
        direction: args.orderBy?.direction === 'DESC' ? 'desc' : 'asc',
      });
      return mapConnection(page, shipment, () => data.countShipments(ctx.db, filter));
    },
  },

  Carrier: {
    shipments: async (c: { id: number }, args: ShipmentArgs, ctx: Ctx) => {
      const first = pageSize(args.first);
      const filter = shipmentFilter(args.filter);
      const rows = await ctx.loaders.shipmentsByCarrier({ first, after: args.after, filter }).load(c.id);
      return toConnection(rows.map(shipment), first, byShippedAt, async () => (await ctx.loaders.shipmentCountByCarrier({ filter }).load(c.id))?.n ?? 0);
    },
    deliveryStats: async (c: { id: number }, _: unknown, ctx: Ctx) => {
      const row = await ctx.loaders.deliveryStats.load(c.id);
      return {
        shipmentCount: row?.shipment_count ?? 0,
        deliveredCount: row?.delivered_count ?? 0,
        inTransitCount: row?.in_transit_count ?? 0,
        averageDeliveryDays: days(row?.average_days),
        fastestDeliveryDays: days(row?.fastest_days),
        slowestDeliveryDays: days(row?.slowest_days),
        // SQLite sums money as binary floats; report whole cents.
        totalFreight: roundCents(row?.total_freight ?? 0),
      };
    },
  },

  Shipment: {
    __resolveReference: (ref: { id: string }, ctx: Ctx) => shipmentById(ref.id, ctx),
    order: (s: Shipment) => ({ id: s.orderId }),
    carrier: (s: Shipment, _: unknown, ctx: Ctx) => ctx.loaders.carrier.load(s.carrierId),
    trackingEvents: async (s: Shipment, _: unknown, ctx: Ctx) => (await ctx.loaders.trackingEvents.load(s.id)).map(trackingEvent),
  },

  Order: {
    // Sales owns the order; logistics needs nothing but its id.
    __resolveReference: (ref: { id: string }) => ({ id: ref.id }),
    shipments: async (o: { id: string | number }, _: unknown, ctx: Ctx) => (await ctx.loaders.shipmentsByOrder.load(o.id)).map(shipment),
    shipmentStatus: async (o: { id: string | number }, _: unknown, ctx: Ctx) => overallStatus(await ctx.loaders.shipmentsByOrder.load(o.id)),
  },
};
