import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { auditApi } from '../../gateway/audit/api';
import { lazyAuditStore } from '../../gateway/audit/store';
import { createAuditWriter, type AuditWriter } from '../../gateway/audit/writer';
import { createPipeline } from '../../gateway/pipeline';
import { createGateway, type MeshgateGateway } from '../../gateway/server';
import { browserUnavailable, launchBrowser, screenshotStats } from '../support/browser';
import { startMesh, type RunningMesh } from '../support/mesh';
import { signToken, TEST_JWT_SECRET } from '../support/tokens';

// The audit view at /audit, driven in headless Chromium against a governed gateway whose audit
// store holds the events of real requests made here: an auditor searches them, sees usage as a
// chart, runs a subject-access report and sees the chain's status change when a row is edited.

const unavailable = browserUnavailable();
const silent = { info() {}, warn() {}, error() {} } as any;
// A client name that would run script if the page ever rendered API values as HTML.
const HOSTILE_CLIENT = '<img src=x onerror="window.__pwned=1">';

describe.skipIf(unavailable)('audit view in headless Chromium', () => {
  let mesh: RunningMesh;
  let gateway: MeshgateGateway;
  let writer: AuditWriter;
  let store: ReturnType<typeof lazyAuditStore>;
  let browser: Browser;
  let url: string;
  let dir: string;
  const pageErrors: string[] = [];

  async function ask(query: string, claims: Record<string, unknown>, headers: Record<string, string> = {}) {
    const token = await signToken(claims as any);
    const res = await fetch(`${url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, ...headers },
      body: JSON.stringify({ query }),
    });
    expect(res.status).toBe(200);
  }

  async function openSignedIn(roles: string[]): Promise<Page> {
    const page = await browser.newPage({ viewport: { width: 1366, height: 900 } });
    page.on('pageerror', (err) => pageErrors.push(err.message));
    page.on('console', (msg) => void (msg.type() === 'error' && pageErrors.push(msg.text())));
    await page.goto(`${url}/audit`);
    await expect.poll(() => page.locator('#signed-out').isVisible()).toBe(true);
    await page.fill('#token', await signToken({ sub: `web-${roles[0]}`, roles }));
    await page.click('#sign-in');
    return page;
  }

  beforeAll(async () => {
    vi.stubEnv('MESHGATE_JWT_SECRET', TEST_JWT_SECRET);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'meshgate-web-audit-'));
    store = lazyAuditStore({ sqliteFile: path.join(dir, 'audit.sqlite'), chain: 'web-test' });
    writer = createAuditWriter(store, { flushIntervalMs: 10, logger: silent });
    const { plugins, policy } = createPipeline({ settings: {}, baseDir: process.cwd(), audit: writer });
    mesh = await startMesh('sqlite', { scale: 0.05 });
    gateway = await createGateway({ supergraphSdl: mesh.supergraphSdl, plugins, auditApi: auditApi({ store: store.open, sink: writer, policy, logger: silent }) });
    url = await gateway.listen(0);

    await ask('query Top { customers(first: 3) { nodes { id companyName } } }', { sub: 'ann', roles: ['analyst'] }, { 'apollographql-client-name': 'reports' });
    await ask('query Top { customers(first: 3) { nodes { id companyName } } }', { sub: 'ann', roles: ['analyst'] }, { 'apollographql-client-name': HOSTILE_CLIENT });
    await ask(
      'query SupportLookup { customer(id: "C000001") { id companyName email } }',
      { sub: 'sam', roles: ['support'], purposes: ['customer-support'] },
      { 'apollographql-client-name': 'desk', 'x-purpose': 'customer-support' },
    );
    // The analyst gets the same email masked: the subject report must not count it as seen in clear.
    await ask('query MaskedLookup { customer(id: "C000001") { id email } }', { sub: 'ann', roles: ['analyst'] }, { 'apollographql-client-name': 'reports' });
    await writer.flush();
    browser = await launchBrowser();
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    await gateway?.stop();
    await writer?.close();
    await mesh?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
    vi.unstubAllEnvs();
  });

  it('serves the page and its assets from the gateway with a strict content security policy', async () => {
    const page = await fetch(`${url}/audit`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    const html = await page.text();
    for (const asset of html.match(/\/web\/[\w.-]+/g) ?? []) expect((await fetch(`${url}${asset}`)).status, asset).toBe(200);
    expect(html).not.toMatch(/https?:\/\//); // nothing loaded from elsewhere
    expect((await fetch(`${url}/audit`, { method: 'POST' })).status).toBe(405);
    expect((await fetch(`${url}/`, { redirect: 'manual' })).headers.get('location')).toMatch(/^\/(audit|catalog)$/);
  });

  it('lets an auditor search events, see usage as a chart, report on a data subject and see the chain verified', async () => {
    const page = await openSignedIn(['auditor']);
    await expect.poll(() => page.locator('#chain-verdict').textContent(), { timeout: 10_000 }).toMatch(/^Verified: \d+ events in 1 chain/);
    // This gateway has no MESHGATE_AUDIT_KEY: the page says what verification cannot cover.
    expect(await page.locator('#chain-status .notice.warning').textContent()).toMatch(/MESHGATE_AUDIT_KEY/);

    // Every request above is listed; the hostile client name shows as text, never as markup.
    await expect.poll(() => page.locator('#event-count').textContent()).toMatch(/^\d+ event/);
    const eventsText = await page.locator('#events').textContent();
    expect(eventsText).toContain('SupportLookup');
    expect(eventsText).toContain(HOSTILE_CLIENT);
    expect(await page.locator('#events img').count()).toBe(0);
    expect(await page.evaluate(() => (globalThis as any).__pwned)).toBeUndefined();

    // Narrowed to one subject: exactly the support lookup, with its client and purpose.
    await page.fill('#event-search input[name=subject]', 'sam');
    await page.click('#event-search button[type=submit]');
    await expect.poll(() => page.locator('#event-count').textContent()).toBe('1 event(s)');
    const row = page.locator('#events tbody tr').first();
    expect(await row.textContent()).toMatch(/sam.*support.*desk.*customer-support.*SupportLookup.*ok/s);
    await row.locator('summary').click();
    expect(await row.locator('details table').textContent()).toContain('Customer.email');

    // Today's bar counts the field uses recorded above, by decision.
    await expect.poll(() => page.locator('#usage svg.chart rect.bar').count()).toBeGreaterThan(0);
    const titles = await page.locator('#usage svg.chart rect.bar title').allTextContents();
    const today = new Date().toISOString().slice(0, 10);
    expect(titles.some((t) => t.startsWith(`${today}: `) && t.endsWith(' allowed'))).toBe(true);
    expect(await page.locator('#usage table').textContent()).toContain('Customer.companyName');

    await page.fill('#subject-search input[name=entityKey]', 'C000001');
    await page.click('#subject-search button[type=submit]');
    await expect.poll(() => page.locator('#subject-count').textContent()).toBe('2 access(es) to personal data of C000001');
    const accesses = page.locator('#subject tbody tr');
    expect(await accesses.count()).toBe(2);
    const annRow = accesses.filter({ hasText: 'ann' });
    const samRow = accesses.filter({ hasText: 'sam' });
    expect(await samRow.textContent()).toMatch(/sam.*desk.*customer-support.*Customer\.email/s);
    expect(await samRow.locator('.badge.masked').count()).toBe(0);
    expect(await annRow.textContent()).toMatch(/ann.*reports.*Customer\.email\s*masked/s);
    expect(await annRow.locator('.badge.masked').count()).toBe(1);

    const shot = await page.screenshot({ fullPage: true });
    const stats = screenshotStats(shot);
    expect(stats.width).toBe(1366);
    expect(stats.height).toBeGreaterThan(900);
    expect(stats.colours).toBeGreaterThan(50); // text, badges, bars: not a blank or single-colour page
    expect(stats.inkShare).toBeGreaterThan(0.2);
    fs.writeFileSync(path.join(process.env.MESHGATE_SCREENSHOT_DIR ?? dir, 'audit.png'), shot);

    // A row edited behind the gateway's back: verification now says so.
    const db = await store.open();
    await db.knex('events').where({ subject: 'ann' }).update({ subject: 'mallory' });
    await page.click('#verify');
    await expect.poll(() => page.locator('#chain-verdict').textContent()).toMatch(/^Tampering detected/);
    expect(await page.locator("#chain-status tbody").textContent()).toMatch(/event-modified at seq \d+/);
    expect(pageErrors).toEqual([]);
    await page.close();
  });

  it('shows an analyst FORBIDDEN, and a signed-out visitor the sign-in prompt', async () => {
    const page = await openSignedIn(['analyst']);
    await expect.poll(() => page.locator('#chain-status').textContent()).toContain('FORBIDDEN');
    expect(await page.locator('#events').textContent()).toContain('FORBIDDEN');
    await page.click('#sign-out');
    expect(await page.locator('#signed-out').isVisible()).toBe(true);
    expect(await page.locator('#audit').isVisible()).toBe(false);
    await page.close();
  });
});
