import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseLimitSettings } from '../../gateway/limits/settings';
import { useLimits } from '../../gateway/plugins/limit';
import { dialects } from '../support/db';
import { startMesh, type RunningMesh } from '../support/mesh';

describe.each(dialects)('the demo mesh behind the gateway, on %s', (dialect) => {
  let mesh: RunningMesh;
  beforeAll(async () => {
    // A thousand orders with their lines, products and shipments is over the default cost limit on purpose.
    mesh = await startMesh(dialect, { scale: 0.2, plugins: [useLimits(parseLimitSettings({ maxCost: 1_000_000 }, process.cwd()))] });
  });
  afterAll(() => mesh?.stop());
  const knex = (domain: string) => mesh.services[domain].db.knex;

  it('resolves orders across all four domains, matching each domain’s own database', async () => {
    const res = await mesh.query(`{
      orders(first: 8, orderBy: { field: ID, direction: ASC }) { nodes {
        id total status customer { id companyName }
        lines { quantity amount product { id name unitPrice reviewCount } }
        shipments { id status carrier { name } }
      } }
    }`);
    expect(res.errors).toBeUndefined();
    const orders = res.data.orders.nodes;
    expect(orders).toHaveLength(8);
    for (const order of orders) {
      const lines = await knex('sales')('order_lines').where('order_id', Number(order.id)).orderBy('line_number');
      const total = lines.reduce((sum: number, l: any) => sum + l.quantity * l.unit_price * (1 - l.discount), 0);
      // The total is the sum of line amounts each rounded to cents.
      expect(Math.abs(order.total - total)).toBeLessThanOrEqual(0.005 * lines.length + 1e-9);
      const customer = await knex('sales')('orders').join('customers', 'customers.id', 'orders.customer_id').where('orders.id', Number(order.id)).first('customers.id', 'customers.company_name');
      expect(order.customer).toEqual({ id: customer.id, companyName: customer.company_name });
      expect(order.lines.map((l: any) => Number(l.product.id))).toEqual(lines.map((l: any) => l.product_id));
      for (const line of order.lines) {
        const product = await knex('inventory')('products').where('id', Number(line.product.id)).first();
        expect(line.product.name).toBe(product.name);
        expect(line.product.unitPrice).toBeCloseTo(Number(product.unit_price), 2);
        const reviews = await knex('customer-experience')('reviews').where('product_id', Number(line.product.id)).count({ n: '*' }).first();
        expect(line.product.reviewCount).toBe(Number(reviews!.n));
      }
      const shipments = await knex('logistics')('shipments').where('order_id', Number(order.id)).orderBy('shipped_at');
      expect(order.shipments.map((s: any) => s.id).sort()).toEqual(shipments.map((s: any) => s.id).sort());
    }
    expect(orders.some((o: any) => o.shipments.length > 0)).toBe(true);
  });

  it('answers product questions owned by three domains, matching their databases', async () => {
    const res = await mesh.query('{ products(first: 15) { nodes { id name salesStats { unitsSold orderCount } averageRating reviewCount } } }');
    expect(res.errors).toBeUndefined();
    for (const p of res.data.products.nodes) {
      const sold = await knex('sales')('order_lines')
        .join('orders', 'orders.id', 'order_lines.order_id')
        .where('order_lines.product_id', Number(p.id))
        .whereNot('orders.status', 'CANCELLED')
        .first(knex('sales').raw('COALESCE(SUM(quantity), 0) AS units'), knex('sales').raw('COUNT(DISTINCT order_id) AS orders'));
      expect(p.salesStats).toEqual({ unitsSold: Number(sold.units), orderCount: Number(sold.orders) });
      const rating = await knex('customer-experience')('reviews').where('product_id', Number(p.id)).first(knex('customer-experience').raw('AVG(rating) AS avg'), knex('customer-experience').raw('COUNT(*) AS n'));
      expect(p.reviewCount).toBe(Number(rating.n));
      if (Number(rating.n) === 0) expect(p.averageRating).toBeNull();
      else expect(p.averageRating).toBeCloseTo(Number(rating.avg), 2);
    }
  });

  it('never does N+1: over 1,000 orders cost the same SQL statements per subgraph as 10', async () => {
    const query = (customers: number, orders: number) => `{ customers(first: ${customers}) { nodes { id orders(first: ${orders}) { nodes {
      id total customer { companyName }
      lines { quantity product { name availability { available } stockLevels { onHand warehouse { code } } averageRating reviews(first: 2) { nodes { rating } } } }
      shipments { status carrier { name } trackingEvents { status } }
    } } } } }`;
    const measure = async (customers: number, orders: number) => {
      const before = mesh.statements();
      const res = await mesh.query(query(customers, orders));
      expect(res.errors, JSON.stringify(res.errors)).toBeUndefined();
      const after = mesh.statements();
      const count = res.data.customers.nodes.reduce((n: number, c: any) => n + c.orders.nodes.length, 0);
      const perDomain = Object.fromEntries(Object.keys(after).map((d) => [d, after[d] - before[d]]));
      return { orders: count, perDomain };
    };
    const small = await measure(10, 1);
    const large = await measure(100, 100);
    expect(small.orders).toBe(10);
    expect(large.orders).toBeGreaterThan(1_000);
    expect(large.perDomain).toEqual(small.perDomain);
    for (const count of Object.values(small.perDomain)) expect(count).toBeGreaterThan(0);
  });

  it('reports itself ready when every subgraph answers', async () => {
    const res = await fetch(`${mesh.gatewayUrl}/health`);
    expect(res.status).toBe(200);
    const body: any = await res.json();
    expect(Object.keys(body.subgraphs).sort()).toEqual(['customer-experience', 'inventory', 'logistics', 'sales']);
  });
});
