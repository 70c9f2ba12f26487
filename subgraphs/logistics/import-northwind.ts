import { insertInChunks, type Database } from '../../shared/db';
import { required, type NorthwindData } from '../../shared/datasets/northwind';

/**
 * Writes Northwind's shippers (as carriers) and one shipment per shipped order into logistics'
 * (empty) tables. Northwind records when an order left and with whom, but no delivery, tracking
 * number or scan: shipments are SHIPPED, shipped at midnight UTC of the shipped date, untracked.
 */
export async function importNorthwind(db: Database, data: NorthwindData): Promise<void> {
  await db.knex.transaction(async (trx) => {
    await insertInChunks(trx, 'carriers', data.shippers.map((s) => ({ id: s.shipper_id, name: s.company_name, phone: s.phone })));
    await insertInChunks(
      trx,
      'shipments',
      data.orders
        .filter((o) => o.shipped_date !== null)
        .map((o) => ({
          id: `SHP-${o.order_id}-1`,
          order_id: o.order_id,
          carrier_id: required(o.ship_via, `order ${o.order_id} ship_via`),
          status: 'SHIPPED',
          shipped_at: new Date(`${o.shipped_date}T00:00:00Z`).toISOString(),
          delivered_at: null,
          freight: required(o.freight, `order ${o.order_id} freight`),
          tracking_number: null,
          street: o.ship_address, city: o.ship_city, region: o.ship_region, postal_code: o.ship_postal_code, country: o.ship_country,
        })),
    );
  });
}
