import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { auditApi } from '../../gateway/audit/api';
import { lazyAuditStore } from '../../gateway/audit/store';
import { createAuditWriter, type AuditWriter } from '../../gateway/audit/writer';
import { catalogApi } from '../../gateway/catalog/api';
import { productsOfDomains } from '../../gateway/catalog/products';
import { createPipeline } from '../../gateway/pipeline';
import { createGateway, type MeshgateGateway } from '../../gateway/server';
import { recordDataLoad } from '../../shared/freshness';
import { domains } from '../../subgraphs';
import { browserUnavailable, launchBrowser, screenshotStats } from '../support/browser';
import { startMesh, type RunningMesh } from '../support/mesh';
import { signToken, TEST_JWT_SECRET } from '../support/tokens';

// The data product catalog: its API (POST /catalog/graphql) against the demo mesh with a real audit
// store and real freshness reports, then the /catalog page driven in headless Chromium.

const silent = { info() {}, warn() {}, error() {} } as any;
const HOUR_MS = 3_600_000;

describe('data product catalog', () => {
  let mesh: RunningMesh;
  let gateway: MeshgateGateway;
  let writer: AuditWriter;
  let url: string;
  let dir: string;

  async function post(endpoint: string, query: string, roles: string[] | null, variables?: Record<string, unknown>) {
    const headers: Record<string, string> = { 'content-type': 'application/json', 'apollographql-client-name': 'catalog-test' };
    if (roles) headers.authorization = `Bearer ${await signToken({ sub: 'cat', roles })}`;
    const res = await fetch(`${url}${endpoint}`, { method: 'POST', headers, body: JSON.stringify({ query, variables }) });
    return { status: res.status, body: (await res.json()) as { data?: any; errors?: any[] } };
  }
  const catalog = (query: string, variables?: Record<string, unknown>, roles: string[] | null = ['analyst']) => post('/catalog/graphql', query, roles, variables);

  beforeAll(async () => {
    vi.stubEnv('MESHGATE_JWT_SECRET', TEST_JWT_SECRET);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'meshgate-catalog-'));
    const store = lazyAuditStore({ sqliteFile: path.join(dir, 'audit.sqlite'), chain: 'catalog-test' });
    writer = createAuditWriter(store, { flushIntervalMs: 10, logger: silent });
    const { plugins, policy } = createPipeline({ settings: {}, baseDir: process.cwd(), audit: writer });
    mesh = await startMesh('sqlite', { scale: 0.05 });
    gateway = await createGateway({
      supergraphSdl: mesh.supergraphSdl,
      plugins,
      auditApi: auditApi({ store: store.open, sink: writer, policy, logger: silent }),
      catalogApi: catalogApi({ products: productsOfDomains(Object.values(domains)), store: store.open, sink: writer, policy, cacheMs: 0, logger: silent }),
    });
    url = await gateway.listen(0);
    for (let i = 0; i < 3; i++) {
      const r = await post('/graphql', '{ customers(first: 2) { nodes { id companyName } } }', ['analyst']);
      expect(r.body.errors).toBeUndefined();
    }
    await writer.flush();
  }, 90_000);

  afterAll(async () => {
    await gateway?.stop();
    await writer?.close();
    await mesh?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
    vi.unstubAllEnvs();
  });

  describe('API', () => {
    it('refuses anonymous callers and answers any authenticated one', async () => {
      const anonymous = await catalog('{ dataProducts { name } }', undefined, null);
      expect(anonymous.status).toBe(401);
      expect(anonymous.body.errors?.[0].extensions.code).toBe('UNAUTHENTICATED');
      const customer = await catalog('{ dataProducts { name } }', undefined, ['customer']);
      expect(customer.status).toBe(200);
      expect(customer.body.data.dataProducts.map((p: any) => p.name)).toEqual(['customer-experience', 'inventory', 'logistics', 'sales']);
    });

    it("returns each product's descriptor, fields with description, classification and resolving domain", async () => {
      const r = await catalog(`{ dataProduct(name: "sales") { name version owner { team contact } serviceLevels { freshness availability } tags fieldCount
        types { name home keys fields { coordinate description level category resolvedBy } } } }`);
      expect(r.body.errors).toBeUndefined();
      const sales = r.body.data.dataProduct;
      expect(sales).toMatchObject({ name: 'sales', owner: { team: 'Sales Operations', contact: 'sales-ops@meshgate.example' }, serviceLevels: { freshness: '15m' } });
      expect(sales.version).toMatch(/^\d+\.\d+\.\d+/);
      const customer = sales.types.find((t: any) => t.name === 'Customer');
      expect(customer).toMatchObject({ home: 'sales', keys: ['id'] });
      const email = customer.fields.find((f: any) => f.coordinate === 'Customer.email');
      expect(email).toMatchObject({ level: 'CONFIDENTIAL', category: 'CONTACT', resolvedBy: ['sales'] });
      expect(email.description).toEqual(expect.any(String));
      // Sales contributes salesStats to inventory's Product, and only that field is listed for sales.
      const product = sales.types.find((t: any) => t.name === 'Product');
      expect(product.home).toBe('inventory');
      expect(product.fields.map((f: any) => f.coordinate)).toContain('Product.salesStats');
      expect(product.fields.every((f: any) => f.resolvedBy.includes('sales'))).toBe(true);
      expect(sales.fieldCount).toBe(sales.types.reduce((n: number, t: any) => n + t.fields.length, 0));
      expect(await catalog('{ dataProduct(name: "nope") { name } }')).toMatchObject({ status: 200, body: { data: { dataProduct: null } } });
    });

    it("answers the README's catalog example as written", async () => {
      const readme = fs.readFileSync(path.join(process.cwd(), 'README.md'), 'utf8');
      const example = /```\n# POST \/catalog\/graphql[^\n]*\n([\s\S]*?)```/.exec(readme)?.[1];
      expect(example).toBeDefined();
      const r = await catalog(example!.replace(/#.*$/gm, ''));
      expect(r.body.errors).toBeUndefined();
      expect(r.body.data.dataProducts.length).toBeGreaterThan(0);
      expect(r.body.data.fields.map((f: any) => f.coordinate)).toContain('Customer.email');
    });

    it('shows how entities link across domains', async () => {
      const r = await catalog('{ lineage { kind coordinate fromDomain toDomain entity } }');
      expect(r.body.data.lineage).toEqual(
        expect.arrayContaining([
          { kind: 'REFERENCE', coordinate: 'OrderLine.product', fromDomain: 'sales', toDomain: 'inventory', entity: 'Product' },
          { kind: 'CONTRIBUTION', coordinate: 'Order.shipments', fromDomain: 'logistics', toDomain: 'sales', entity: 'Order' },
          { kind: 'REFERENCE', coordinate: 'Review.customer', fromDomain: 'customer-experience', toDomain: 'sales', entity: 'Customer' },
        ]),
      );
    });

    it("a product's usage is the sum of its fields' usage, over the same days", async () => {
      const r = await catalog('{ dataProduct(name: "sales") { usage types { fields { coordinate usage { events } } } } }');
      expect(r.body.errors).toBeUndefined();
      const sales = r.body.data.dataProduct;
      const fields = sales.types.flatMap((t: any) => t.fields);
      const sum = fields.reduce((n: number, f: any) => n + (f.usage?.events ?? 0), 0);
      // The setup read Query.customers and Customer.companyName 3 times each (and the connection's fields).
      expect(fields.find((f: any) => f.coordinate === 'Customer.companyName').usage.events).toBe(3);
      expect(sum).toBeGreaterThanOrEqual(6);
      expect(sales.usage).toBe(sum);
      const unused = await catalog('{ dataProduct(name: "logistics") { usage } }');
      expect(unused.body.data.dataProduct.usage).toBe(0);
    });

    it('counts field usage from the audit trail and searches fields', async () => {
      const r = await catalog('{ fields(search: "customer.companyname") { coordinate usage { events clients } } }');
      expect(r.body.data.fields).toEqual([{ coordinate: 'Customer.companyName', usage: { events: 3, clients: ['catalog-test'] } }]);
      const restricted = await catalog('{ fields(level: "RESTRICTED") { coordinate level } }');
      expect(restricted.body.data.fields.length).toBeGreaterThan(0);
      expect(restricted.body.data.fields.every((f: any) => f.level === 'RESTRICTED')).toBe(true);
      const products = await catalog('{ dataProducts(search: "tracking") { name } }');
      expect(products.body.data.dataProducts.map((p: any) => p.name)).toEqual(['logistics']);
      const bad = await catalog('{ fields(first: 0) { coordinate } }');
      expect(bad.body.errors?.[0].extensions.code).toBe('BAD_USER_INPUT');
    });

    it('reports live freshness against each objective: fresh, stale, and unknown when a domain is down', async () => {
      const q = '{ dataProducts { name freshness { status ageSeconds objective reason } } }';
      const fresh = await catalog(q);
      for (const p of fresh.body.data.dataProducts) expect(p.freshness, p.name).toMatchObject({ status: 'FRESH', reason: null });

      // Sales' newest load is now two hours old, against a 15 minute objective.
      const salesDb = mesh.services.sales.db;
      await salesDb.knex('meshgate_data_loads').delete();
      await recordDataLoad(salesDb, 'test', new Date(Date.now() - 2 * HOUR_MS));
      const stale = (await catalog(q)).body.data.dataProducts.find((p: any) => p.name === 'sales');
      expect(stale.freshness).toMatchObject({ status: 'STALE', objective: '15m' });
      expect(stale.freshness.ageSeconds).toBeGreaterThanOrEqual(7200);

      await mesh.services.logistics.service.stop();
      const down = (await catalog(q)).body.data.dataProducts.find((p: any) => p.name === 'logistics');
      expect(down.freshness.status).toBe('UNKNOWN');
      expect(down.freshness.reason).toMatch(/did not answer/);
    });
  });

  const unavailable = browserUnavailable();
  describe.skipIf(unavailable)('page in headless Chromium', () => {
    let browser: Browser;
    let page: Page;
    const pageErrors: string[] = [];

    beforeAll(async () => {
      browser = await launchBrowser();
      page = await browser.newPage({ viewport: { width: 1366, height: 900 } });
      page.on('pageerror', (err) => pageErrors.push(err.message));
      page.on('console', (msg) => void (msg.type() === 'error' && pageErrors.push(msg.text())));
    }, 30_000);
    afterAll(async () => browser?.close());

    it('lists the products, searches fields, draws the lineage graph and opens a product', async () => {
      expect((await fetch(`${url}/`, { redirect: 'manual' })).headers.get('location')).toBe('/catalog');
      await page.goto(`${url}/catalog`);
      await page.fill('#token', await signToken({ sub: 'browser', roles: ['analyst'] }));
      await page.click('#sign-in');
      await expect.poll(() => page.locator('article.product').count(), { timeout: 10_000 }).toBe(4);
      const sales = page.locator('article[data-product=sales]');
      expect(await sales.textContent()).toMatch(/Sales Operations.*sales-ops@meshgate\.example.*stale.*objective 15m/s);
      expect(await page.locator('article[data-product=inventory] .badge').first().textContent()).toMatch(/^fresh/);

      expect(await page.locator('svg.lineage .node').count()).toBe(4);
      expect(await page.locator('svg.lineage .edge[data-from=sales][data-to=inventory]').count()).toBe(1);

      await page.fill('#search-text', 'email');
      await expect.poll(() => page.locator('#field-count').textContent()).toMatch(/^\d+ field/);
      expect(await page.locator('#field-list').textContent()).toContain('Customer.email');
      expect(await page.locator('article.product').count()).toBeLessThan(4);
      await page.fill('#search-text', '');
      await expect.poll(() => page.locator('article.product').count()).toBe(4);
      expect(await page.locator('#field-results').isVisible()).toBe(false);

      // Owners are searchable: a team's name finds its product, and nothing else.
      await page.fill('#search-text', 'logistics & fulfilment');
      await expect.poll(() => page.locator('article.product').count()).toBe(1);
      expect(await page.locator('article.product').getAttribute('data-product')).toBe('logistics');
      expect(await page.locator('#field-count').textContent()).toBe('0 field(s)');
      await page.fill('#search-text', 'sales-ops@meshgate.example');
      await expect.poll(() => page.locator('article[data-product=sales]').count()).toBe(1);
      expect(await page.locator('article.product').count()).toBe(1);
      await page.fill('#search-text', '');
      await expect.poll(() => page.locator('article.product').count()).toBe(4);

      // Rendered, not just present: readable on a laptop screen without scrolling sideways, each
      // product card and the lineage graph drawn with content of their own.
      // (Evaluated in the page, which has a DOM; this file's TypeScript has none.)
      expect(await page.evaluate<number>('document.documentElement.scrollWidth')).toBeLessThanOrEqual(1366);
      expect(await page.evaluate<number>('parseFloat(getComputedStyle(document.body).fontSize)')).toBeGreaterThanOrEqual(14);
      for (const card of await page.locator('article.product').all()) {
        const box = await card.boundingBox();
        expect(box!.width).toBeGreaterThan(200);
        const stats = screenshotStats(await card.screenshot());
        // A card drawn with text (anti-aliased: hundreds of colours) over a tenth of it or more, not an empty frame.
        expect(stats.inkShare, (await card.getAttribute('data-product')) ?? '').toBeGreaterThan(0.1);
        expect(stats.colours).toBeGreaterThan(200);
      }
      const graph = screenshotStats(await page.locator('svg.lineage').screenshot());
      expect(graph.inkShare).toBeGreaterThan(0.05);
      expect(graph.colours).toBeGreaterThan(200);

      await sales.locator('a.button').click();
      await expect.poll(() => page.locator('#product-heading').textContent()).toBe('Sales: fields');
      const customer = page.locator('#product section[data-type=Customer]');
      expect(await customer.textContent()).toMatch(/Customer\.email.*CONFIDENTIAL · CONTACT.*sales/s);
      expect(await customer.textContent()).toMatch(/Customer\.companyName.*3 uses/s);

      const shot = await page.screenshot({ fullPage: true });
      const stats = screenshotStats(shot);
      expect(stats.width).toBe(1366);
      // The product's field tables run well past one screen; a page that failed to load is one screen of little.
      expect(stats.height).toBeGreaterThan(3 * 900);
      expect(stats.colours).toBeGreaterThan(1000);
      expect(stats.inkShare).toBeGreaterThan(0.2);
      fs.writeFileSync(path.join(process.env.MESHGATE_SCREENSHOT_DIR ?? dir, 'catalog.png'), shot);
      expect(pageErrors).toEqual([]);
    });
  });
});
