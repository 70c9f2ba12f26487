import type { Database } from '../../shared/db';
import { groupLoader, loadersByArgs, rowLoader } from '../../shared/loaders';
import * as data from './data';

/** Per-request loaders of the logistics domain: every entity and relation goes through one. */
export function createLoaders(db: Database) {
  return {
    carrier: rowLoader((ids) => data.carriersByIds(db, ids), (row) => row.id),
    deliveryStats: rowLoader((ids) => data.deliveryStatsByCarriers(db, ids), (row) => row.carrier_id),
    shipment: rowLoader((ids) => data.shipmentsByIds(db, ids), (row) => row.id),
    shipmentsByOrder: groupLoader((ids) => data.shipmentsByOrders(db, ids), (row) => row.order_id),
    trackingEvents: groupLoader((ids) => data.trackingEventsByShipments(db, ids), (row) => row.shipment_id),
    shipmentsByCarrier: loadersByArgs(({ first, after, filter }) =>
      groupLoader((ids) => data.shipmentPagesByCarriers(db, ids, first, after, filter), (row) => row.carrier_id),
    ),
    shipmentCountByCarrier: loadersByArgs(({ filter }) =>
      rowLoader((ids) => data.countShipmentsByCarriers(db, ids, filter), (row) => row.parent_id),
    ),
  };
}

export type LogisticsLoaders = ReturnType<typeof createLoaders>;
