import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createDb } from '../../shared/db';
import { parseCsv } from '../../shared/csv';
import { readNorthwind } from '../../shared/datasets/northwind';
import { domains } from '../../subgraphs';
import { cli } from '../support/cli';
import { dialects, TEST_DATABASE_URL } from '../support/db';
import { startMesh, type RunningMesh } from '../support/mesh';

// The data set lives beside the repository, never in it.
const DATASET = path.resolve(__dirname, '../../../shared/datasets/northwind');
const present = fs.existsSync(DATASET);
if (!present) process.stdout.write(`Northwind tests skipped: no data set at ${DATASET}\n`);

/** A CSV file of the data set as plain records; the expected figures are computed from these. */
const csv = (file: string) => parseCsv(fs.readFileSync(path.join(DATASET, file), 'utf8')) as Record<string, string>[];

/** Prices and discounts have at most two decimals: in hundredths, line amounts are exact integers. */
const hundredths = (value: string) => Math.round(Number(value) * 100);
/** A line's amount in ten-thousandths: unit_price · quantity · (1 − discount), exactly. */
const amount = (d: Record<string, string>) => hundredths(d.unit_price) * Number(d.quantity) * (100 - hundredths(d.discount));
/** Ten-thousandths to money, half a cent rounded up as the service does (MAISD's revenue is 9,736.075). */
const money = (tenThousandths: number) => Math.round(tenThousandths / 100) / 100;

describe.skipIf(!present)('Northwind', () => {
  const expected = () => {
    const orders = csv('orders.csv');
    const details = csv('order_details.csv');
    const customerOf = new Map(orders.map((o) => [o.order_id, o.customer_id]));
    // Revenue in ten-thousandths (see `amount`).
    const customers = new Map(csv('customers.csv').map((c) => [c.customer_id, { orderCount: 0, revenue: 0 }]));
    for (const o of orders) customers.get(o.customer_id)!.orderCount++;
    for (const d of details) {
      customers.get(customerOf.get(d.order_id)!)!.revenue += amount(d);
    }
    const countBy = (records: Record<string, string>[], key: string) =>
      records.reduce<Record<string, number>>((acc, r) => ((acc[r[key]] = (acc[r[key]] ?? 0) + 1), acc), {});
    const productsPerSupplier = countBy(csv('products.csv'), 'supplier_id');
    const shippedPerShipper = countBy(orders.filter((o) => o.shipped_date !== null), 'ship_via');
    return { orders, details, customers, productsPerSupplier, shippedPerShipper };
  };

  describe.each(dialects)('behind the gateway, on %s', (dialect) => {
    let mesh: RunningMesh;
    let want: ReturnType<typeof expected>;
    beforeAll(async () => {
      want = expected();
      const data = readNorthwind(DATASET);
      mesh = await startMesh(dialect, {
        load: async (name, db) => {
          await domains[name].importers?.northwind?.(db, data);
        },
      });
    });
    afterAll(() => mesh?.stop());

    it('has every customer with its order count and revenue (grand total 1,265,793.04)', async () => {
      const got = new Map<string, { orderCount: number; revenue: number }>();
      let after: string | null = null;
      do {
        const res: any = await mesh.query(
          'query($after: String) { customers(first: 100, after: $after) { totalCount pageInfo { hasNextPage endCursor } nodes { id salesSummary { orderCount revenue } } } }',
          { after },
        );
        expect(res.errors).toBeUndefined();
        for (const c of res.data.customers.nodes) got.set(c.id, c.salesSummary);
        after = res.data.customers.pageInfo.hasNextPage ? res.data.customers.pageInfo.endCursor : null;
      } while (after);
      expect([...got.keys()].sort()).toEqual([...want.customers.keys()].sort());
      expect(got.size).toBe(91);
      for (const [id, { orderCount, revenue }] of want.customers) {
        expect(got.get(id)!.orderCount, id).toBe(orderCount);
        expect(got.get(id)!.revenue, id).toBe(money(revenue));
      }
      expect(got.get('FISSA')).toEqual({ orderCount: 0, revenue: 0 });
      expect(got.get('PARIS')).toEqual({ orderCount: 0, revenue: 0 });
      expect(money([...want.customers.values()].reduce((sum, c) => sum + c.revenue, 0))).toBe(1_265_793.04);
      expect([...got.values()].reduce((sum, c) => sum + c.revenue, 0)).toBeCloseTo(1_265_793.04, 1);
    });

    it('has every supplier with its number of products', async () => {
      const res = await mesh.query('{ suppliers(first: 100) { totalCount nodes { id products { totalCount } } } }');
      expect(res.errors).toBeUndefined();
      expect(res.data.suppliers.totalCount).toBe(29);
      const got = Object.fromEntries(res.data.suppliers.nodes.map((s: any) => [s.id, s.products.totalCount]));
      expect(got).toEqual(want.productsPerSupplier);
    });

    it('has one shipment per shipped order, with the carrier of ship_via', async () => {
      const res = await mesh.query('{ carriers { id name deliveryStats { shipmentCount deliveredCount } } }');
      expect(res.errors).toBeUndefined();
      const shippers = csv('shippers.csv');
      expect(res.data.carriers.map((c: any) => [c.id, c.name]).sort()).toEqual(shippers.map((s) => [s.shipper_id, s.company_name]).sort());
      const got = Object.fromEntries(res.data.carriers.map((c: any) => [c.id, c.deliveryStats.shipmentCount]));
      expect(got).toEqual(want.shippedPerShipper);
      expect(Object.values(got).reduce((a: number, b: any) => a + b, 0)).toBe(809);
      for (const c of res.data.carriers) expect(c.deliveryStats.deliveredCount).toBe(0);
    });

    it('joins order 10248 across sales, inventory and logistics', async () => {
      const res = await mesh.query(`{ order(id: "10248") {
        status requiredDate total customer { id companyName }
        lines { lineNumber quantity unitPrice product { id name sku } }
        shipments { status shippedAt freight deliveryAddress { city country } carrier { name } trackingEvents { status } }
      } }`);
      expect(res.errors).toBeUndefined();
      const order = want.orders.find((o) => o.order_id === '10248')!;
      const productNames = new Map(csv('products.csv').map((p) => [p.product_id, p.product_name]));
      const lines = want.details.filter((d) => d.order_id === '10248').sort((a, b) => Number(a.product_id) - Number(b.product_id));
      const carrier = csv('shippers.csv').find((s) => s.shipper_id === order.ship_via)!;
      expect(res.data.order).toEqual({
        status: 'DELIVERED',
        requiredDate: order.required_date,
        total: money(lines.reduce((sum, d) => sum + amount(d), 0)),
        customer: { id: order.customer_id, companyName: csv('customers.csv').find((c) => c.customer_id === order.customer_id)!.company_name },
        lines: lines.map((d, i) => ({
          lineNumber: i + 1,
          quantity: Number(d.quantity),
          unitPrice: Number(d.unit_price),
          product: { id: d.product_id, name: productNames.get(d.product_id), sku: `NW-${d.product_id}` },
        })),
        shipments: [{
          status: 'SHIPPED',
          shippedAt: `${order.shipped_date}T00:00:00.000Z`,
          freight: Number(order.freight),
          deliveryAddress: { city: order.ship_city, country: order.ship_country },
          carrier: { name: carrier.company_name },
          trackingEvents: [],
        }],
      });
      // As in the classic data set: VINET's order of 1996-07-04, three products, Federal Shipping.
      expect(res.data.order.lines.map((l: any) => l.product.name)).toEqual(['Queso Cabrales', 'Singaporean Hokkien Fried Mee', 'Mozzarella di Giovanni']);
      expect(res.data.order.shipments[0].carrier.name).toBe('Federal Shipping');
    });
  });

  describe('`meshgate import northwind`', () => {
    let dataDir: string;
    beforeAll(() => {
      dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'meshgate-northwind-'));
      vi.stubEnv('MESHGATE_DATA_DIR', dataDir);
      vi.stubEnv('DATABASE_URL', '');
    });
    afterAll(() => {
      vi.unstubAllEnvs();
      fs.rmSync(dataDir, { recursive: true, force: true });
    });

    it('replaces the data of inventory, sales and logistics and prints the rows per table', async () => {
      for (let run = 0; run < 2; run++) {
        const res = await cli('import', 'northwind', DATASET);
        expect(res.err).toBe('');
        expect(res.code).toBe(0);
        const rows = (file: string) => csv(file).length;
        const shipped = csv('orders.csv').filter((o) => o.shipped_date !== null).length;
        expect(res.out).toMatch(new RegExp(`^inventory: categories ${rows('categories.csv')}, products ${rows('products.csv')}, stock_levels ${rows('products.csv')}, suppliers ${rows('suppliers.csv')}, warehouses 1 \\(\\d+\\.\\d s\\)$`, 'm'));
        expect(res.out).toMatch(new RegExp(`^sales: customers ${rows('customers.csv')}, order_lines ${rows('order_details.csv')}, orders ${rows('orders.csv')}, sales_reps ${rows('employees.csv')} \\(\\d+\\.\\d s\\)$`, 'm'));
        expect(res.out).toMatch(new RegExp(`^logistics: carriers ${rows('shippers.csv')}, shipments ${shipped}, tracking_events 0 \\(\\d+\\.\\d s\\)$`, 'm'));
        expect(res.out).not.toContain('customer-experience');
      }
      const db = createDb({ sqliteFile: path.join(dataDir, 'sales.sqlite') });
      try {
        expect(await db.knex('orders').count({ n: '*' }).first()).toEqual({ n: 830 });
        expect(await db.knex('sales_reps').where('id', 2).first('reports_to')).toEqual({ reports_to: null });
      } finally {
        await db.close();
      }
    });

    it('imports only the named domains', async () => {
      const res = await cli('import', 'northwind', DATASET, 'logistics');
      expect(res.code).toBe(0);
      expect(res.out).toMatch(/^logistics: carriers 3, shipments 809, tracking_events 0 /);
      expect(res.out.trim().split('\n')).toHaveLength(1);
    });

    it('fails with IMPORT_FAILED naming what is missing', async () => {
      const missing = path.join(dataDir, 'no-such-dir');
      const res = await cli('import', 'northwind', missing);
      expect(res.code).toBe(1);
      expect(res.err).toContain('IMPORT_FAILED');
      expect(res.err).toContain(missing);
      const partial = fs.mkdtempSync(path.join(os.tmpdir(), 'meshgate-northwind-partial-'));
      try {
        fs.copyFileSync(path.join(DATASET, 'schema.json'), path.join(partial, 'schema.json'));
        const res2 = await cli('import', 'northwind', partial);
        expect(res2.code).toBe(1);
        expect(res2.err).toContain(`IMPORT_FAILED: cannot read ${path.join(partial, 'categories.csv')}: ENOENT`);
      } finally {
        fs.rmSync(partial, { recursive: true, force: true });
      }
    });

    it('rejects an unknown data set or domain as a usage error', async () => {
      expect((await cli('import', 'pubs', DATASET)).code).toBe(2);
      const res = await cli('import', 'northwind', DATASET, 'customer-experience');
      expect(res.code).toBe(2);
      expect(res.err).toContain('has no Northwind data');
      expect((await cli('import', 'northwind', DATASET, 'billing')).code).toBe(2);
      expect((await cli('import', 'northwind')).code).toBe(2);
    });

    it.skipIf(!TEST_DATABASE_URL)('imports into a fresh PostgreSQL database, creating each domain\'s schema', async () => {
      const name = `meshgate_northwind_${randomBytes(4).toString('hex')}`;
      const admin = createDb({ url: TEST_DATABASE_URL });
      await admin.knex.raw('CREATE DATABASE ??', [name]);
      try {
        const url = new URL(TEST_DATABASE_URL!);
        url.pathname = `/${name}`;
        vi.stubEnv('DATABASE_URL', url.toString());
        vi.stubEnv('DB_SCHEMA', '');
        const res = await cli('import', 'northwind', DATASET);
        expect(res.err).toBe('');
        expect(res.code).toBe(0);
        expect(res.out).toMatch(/^sales: customers 91, order_lines 2155, orders 830, sales_reps 9 /m);
        expect(res.out).toMatch(/^logistics: carriers 3, shipments 809, tracking_events 0 /m);
      } finally {
        vi.stubEnv('DATABASE_URL', '');
        await admin.knex.raw('DROP DATABASE IF EXISTS ?? WITH (FORCE)', [name]);
        await admin.close();
      }
    });
  });
});
