import { addressColumns } from '../../shared/address';
import type { Database } from '../../shared/db';
import { insertInChunks } from '../../shared/db';
import { demoCustomer, demoOrder, demoSalesRep, forEachBatch, type DemoWorld } from '../../shared/demo-data';
import type { SeedProgress } from '../../shared/domain';

const BATCH = 5_000;

/** Writes the sales part of the demo world, streaming orders and their lines in batches. */
export async function seed(db: Database, world: DemoWorld, onProgress: SeedProgress = () => {}): Promise<void> {
  const { counts } = world;
  await db.knex.transaction(async (trx) => {
    await forEachBatch(counts.customers, BATCH, async (from, to) => {
      const customers = [];
      for (let i = from; i < to; i++) {
        const c = demoCustomer(world, i);
        customers.push({
          id: c.id, company_name: c.companyName, contact_name: c.contactName, contact_title: c.contactTitle, email: c.email, phone: c.phone,
          ...addressColumns(c.address),
        });
      }
      await insertInChunks(trx, 'customers', customers);
      onProgress('customers', to, counts.customers);
    });
    await insertInChunks(
      trx,
      'sales_reps',
      Array.from({ length: counts.salesReps }, (_, i) => {
        const r = demoSalesRep(world, i);
        return {
          id: r.id, first_name: r.firstName, last_name: r.lastName, title: r.title, hire_date: r.hireDate, birth_date: r.birthDate,
          home_phone: r.homePhone, reports_to: r.reportsTo,
        };
      }),
    );
    await forEachBatch(counts.orders, BATCH, async (from, to) => {
      const orders = [];
      const lines = [];
      for (let i = from; i < to; i++) {
        const o = demoOrder(world, i);
        orders.push({
          id: o.id, customer_id: o.customerId, sales_rep_id: o.salesRepId, order_date: o.orderDate, required_date: o.requiredDate, status: o.status,
        });
        for (const l of o.lines) {
          lines.push({ order_id: l.orderId, line_number: l.lineNumber, product_id: l.productId, quantity: l.quantity, unit_price: l.unitPrice, discount: l.discount });
        }
      }
      await insertInChunks(trx, 'orders', orders);
      await insertInChunks(trx, 'order_lines', lines);
      onProgress('orders', to, counts.orders);
    });
  });
}
