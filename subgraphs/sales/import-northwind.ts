import { insertInChunks, type Database } from '../../shared/db';
import { required, type NorthwindData, type NorthwindEmployee, type NorthwindOrderDetail } from '../../shared/datasets/northwind';

/** Managers before the people reporting to them, so the reports_to foreign key holds at every insert. */
function managersFirst(employees: NorthwindEmployee[]): NorthwindEmployee[] {
  const byId = new Map(employees.map((e) => [e.employee_id, e]));
  const depth = (e: NorthwindEmployee, hops = 0): number => {
    const manager = e.reports_to === null ? undefined : byId.get(e.reports_to);
    return manager && hops < employees.length ? 1 + depth(manager, hops + 1) : 0;
  };
  return employees.map((e) => ({ e, depth: depth(e) })).sort((a, b) => a.depth - b.depth).map(({ e }) => e);
}

/**
 * Writes Northwind's customers, employees (as sales reps), orders and order details into sales'
 * (empty) tables. Northwind has no e-mail addresses and no delivery confirmations: an order is
 * DELIVERED once it has a shipped date, else CONFIRMED. Lines are numbered by product id.
 */
export async function importNorthwind(db: Database, data: NorthwindData): Promise<void> {
  const linesByOrder = new Map<number, NorthwindOrderDetail[]>();
  for (const d of data.order_details) {
    const lines = linesByOrder.get(d.order_id);
    if (lines) lines.push(d);
    else linesByOrder.set(d.order_id, [d]);
  }
  await db.knex.transaction(async (trx) => {
    await insertInChunks(
      trx,
      'customers',
      data.customers.map((c) => ({
        id: c.customer_id, company_name: c.company_name, contact_name: c.contact_name, contact_title: c.contact_title, email: null, phone: c.phone,
        street: c.address, city: c.city, region: c.region, postal_code: c.postal_code, country: c.country,
      })),
    );
    await insertInChunks(
      trx,
      'sales_reps',
      managersFirst(data.employees).map((e) => ({
        id: e.employee_id, first_name: e.first_name, last_name: e.last_name, title: e.title, hire_date: e.hire_date, birth_date: e.birth_date,
        home_phone: e.home_phone, reports_to: e.reports_to,
      })),
    );
    await insertInChunks(
      trx,
      'orders',
      data.orders.map((o) => ({
        id: o.order_id,
        customer_id: required(o.customer_id, `order ${o.order_id} customer_id`),
        sales_rep_id: required(o.employee_id, `order ${o.order_id} employee_id`),
        order_date: required(o.order_date, `order ${o.order_id} order_date`),
        required_date: o.required_date,
        status: o.shipped_date ? 'DELIVERED' : 'CONFIRMED',
      })),
    );
    await insertInChunks(
      trx,
      'order_lines',
      [...linesByOrder.values()].flatMap((lines) =>
        [...lines]
          .sort((a, b) => a.product_id - b.product_id)
          .map((d, i) => ({ order_id: d.order_id, line_number: i + 1, product_id: d.product_id, quantity: d.quantity, unit_price: d.unit_price, discount: d.discount })),
      ),
    );
  });
}
