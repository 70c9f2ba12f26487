import { addressColumns } from '../../shared/address';
import type { Database } from '../../shared/db';
import { insertInChunks } from '../../shared/db';
import { CARRIERS, demoShipments, forEachBatch, type DemoWorld } from '../../shared/demo-data';
import type { SeedProgress } from '../../shared/domain';

const BATCH = 5_000;

/** Writes the logistics part of the demo world, streaming shipments and their events per batch of orders. */
export async function seed(db: Database, world: DemoWorld, onProgress: SeedProgress = () => {}): Promise<void> {
  const { counts } = world;
  await db.knex.transaction(async (trx) => {
    await insertInChunks(trx, 'carriers', CARRIERS.map((c, i) => ({ id: i + 1, name: c.name, phone: c.phone })));
    await forEachBatch(counts.orders, BATCH, async (from, to) => {
      const shipments = [];
      const events = [];
      for (let i = from; i < to; i++) {
        for (const s of demoShipments(world, i)) {
          shipments.push({
            id: s.id, order_id: s.orderId, carrier_id: s.carrierId, status: s.status, shipped_at: s.shippedAt,
            delivered_at: s.deliveredAt, freight: s.freight, tracking_number: s.trackingNumber,
            ...addressColumns(s.deliveryAddress),
          });
          for (const e of s.events) {
            events.push({ shipment_id: e.shipmentId, sequence: e.sequence, occurred_at: e.occurredAt, status: e.status, location: e.location });
          }
        }
      }
      await insertInChunks(trx, 'shipments', shipments);
      await insertInChunks(trx, 'tracking_events', events);
      onProgress('shipments', to, counts.orders);
    });
  });
}
