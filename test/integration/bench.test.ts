import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import type { Row } from '../../bench/aggregate';
import type { Report } from '../../bench/harness';
import { GATEWAYS, GOVERNED, workloads } from '../../bench/workloads';
import { openAuditStore } from '../../gateway/audit/store';
import { verify } from '../../gateway/audit/verify';

const ROOT = path.join(__dirname, '..', '..');
const outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'meshgate-bench-test-'));
afterAll(() => fs.rmSync(outDir, { recursive: true, force: true }));

// `npm run bench` end to end at toy size (child processes, verification, autocannon, /proc, the
// audit store): proves the three gateways run and the report is complete, not how fast anything is.
describe('npm run bench', () => {
  it('measures bare, meshgate and governed on every workload, writes the JSON and ends with the summary line', async () => {
    const resultsFile = path.join(outDir, 'latest.json');
    // Bounded by requests, not time: on a loaded machine a heavy request can take seconds. 20 s is only the ceiling.
    const args = ['--scale', '0.02', '--rounds', '2', '--duration', '20', '--warmup', '0', '--connections', '2', '--max-requests', '4', '--no-pin', '--out', resultsFile];
    const { stdout } = await promisify(execFile)(process.execPath, ['--require', require.resolve('tsx/cjs'), path.join(ROOT, 'bench', 'run.ts'), ...args], {
      cwd: ROOT,
      timeout: 240_000,
      maxBuffer: 10 * 1024 * 1024,
    });

    const lastLine = stdout.trimEnd().split('\n').at(-1);
    expect(lastLine).toMatch(/^governed\/bare throughput: small \d+\.\d\d, heavy \d+\.\d\d, mixed \d+\.\d\d$/);
    const report = JSON.parse(fs.readFileSync(resultsFile, 'utf8')) as Report & { summary: string };
    expect(report.summary).toBe(lastLine);

    // Every gateway on every workload, in both orders, every response a success.
    expect(report.order).toEqual([[...GATEWAYS], [...GATEWAYS].reverse()]);
    expect(report.rows.map((r) => `${r.workload}@${r.gateway}`)).toEqual(workloads.flatMap((w) => GATEWAYS.map((g) => `${w.name}@${g}`)));
    for (const r of report.rows) {
      const id = `${r.workload}@${r.gateway}`;
      expect(r.rounds, id).toBe(2);
      expect(r.requests, id).toBeGreaterThan(0);
      expect(r.p99Ms, id).toBeGreaterThanOrEqual(r.p50Ms);
      expect(r.failures, id).toEqual({ errors: 0, timeouts: 0, non2xx: 0, graphqlErrors: 0 });
      expect(r.sqlPerRequest, id).toBeGreaterThan(0);
      if (fs.existsSync('/proc/self/status')) expect(r.peakRssMB, id).toBeGreaterThan(0);
      expect(r.vsBare.throughput, id).toBeGreaterThan(0);
      // CPU per response by thread: only the governed gateway has an audit append thread.
      if (fs.existsSync('/proc/self/task')) {
        const t = r.gatewayCpuMsByThread!;
        for (const ms of [t.eventLoop, t.auditThread, t.helpers]) expect(ms, id).toBeGreaterThanOrEqual(0);
        if (r.gateway !== GOVERNED) expect(t.auditThread, id).toBe(0);
      }
      // Run-queue waits per process: the gateway under load, every subgraph and the load generator.
      if (fs.existsSync('/proc/self/schedstat')) {
        expect(Object.keys(r.runQueueWaitMsPerRequest).sort(), id).toEqual([...GATEWAYS, ...Object.keys(r.sqlPerRequestBySubgraph), 'load-generator'].sort());
        for (const ms of Object.values(r.runQueueWaitMsPerRequest)) expect(ms, id).toBeGreaterThanOrEqual(0);
      }
    }
    if (fs.existsSync('/proc/self/task')) expect(stdout).toMatch(/^gw ms\/req by thread: the event loop, the audit append thread, the rest/m);
    if (fs.existsSync('/proc/self/schedstat')) expect(stdout).toMatch(/^ms\/req waiting for a CPU \(runnable, not running\)/m);

    // Latency at equal load: bare and governed at half bare's req/s, open loop, every workload.
    expect(report.equalLoad).toMatchObject({ share: 0.5, rounds: 2 });
    expect(report.equalLoad!.rows.map((r) => r.workload)).toEqual(workloads.map((w) => w.name));
    for (const r of report.equalLoad!.rows) {
      const bare = report.rows.find((b: Row) => b.gateway === 'bare' && b.workload === r.workload)!;
      expect(r.ratePerSec, r.workload).toBeCloseTo(bare.requestsPerSec / 2, 6);
      for (const g of [r.bare, r.governed]) expect(g, r.workload).toMatchObject({ requests: 8, failed: 0 });
      expect(r.p99Ratio, r.workload).toBeGreaterThan(0);
    }
    expect(stdout).toMatch(/^latency at equal load: bare and governed at 50% of bare's req\/s above, open loop/m);

    // The governed gateway wrote one audit event per request: per row and over the whole run
    // (the equal-load runs included).
    const governed = report.rows.filter((r: Row) => r.gateway === GOVERNED);
    for (const r of governed) expect(r.audit, r.workload).toEqual({ events: r.sent, requests: r.sent, met: true });
    expect(report.auditCheck.events).toBe(report.auditCheck.requests);
    expect(report.auditCheck.met).toBe(true);
    expect(report.auditCheck.writer).toMatchObject({ queued: 0, rejected: 0, failedBatches: 0 });
    expect(report.targets.find((t) => t.name.startsWith('audit events == requests'))?.met).toBe(true);

    // What the audit step costs: governed ÷ unaudited throughput and events written per second, per workload.
    expect((report as any).auditCost.map((a: any) => a.workload)).toEqual(workloads.map((w) => w.name));
    for (const a of (report as any).auditCost) expect(a.throughputOnOff, a.workload).toBeGreaterThan(0);
    expect(stdout).toMatch(/^audit on ÷ off \(governed ÷ unaudited req\/s\): small \d+\.\d\d, heavy \d+\.\d\d, mixed \d+\.\d\d$/m);
    expect(stdout).toMatch(/^audit events written per second \(governed\): small \d+, heavy \d+, mixed \d+$/m);
    expect(stdout).toMatch(/^mixed\s+bare\s/m);
    expect(stdout).toContain('targets (reported, not enforced):');
  }, 250_000);
});

// `npm run bench:data` at toy size: seeds, pages through a customer's orders by cursor, reports.
describe('npm run bench:data', () => {
  it('pages through the busiest customers with a constant SQL count per page, on the customer index', async () => {
    const dataDir = path.join(outDir, 'data-path');
    const { stdout } = await promisify(execFile)(process.execPath, ['--require', require.resolve('tsx/cjs'), path.join(ROOT, 'bench', 'data-path.ts'), '--scale', '0.05', '--data-dir', dataDir, '--customers', '2', '--pages', '3'], {
      cwd: ROOT,
      timeout: 120_000,
      maxBuffer: 10 * 1024 * 1024,
    });
    const lastLine = stdout.trimEnd().split('\n').at(-1);
    expect(lastLine).toMatch(/^orders of a customer at scale 0\.05 \(500 orders\): p50 [\d.]+ ms, p99 [\d.]+ ms per page of 20 at the subgraph; \d+ SQL per page$/);
    const report = JSON.parse(stdout.slice(0, stdout.lastIndexOf('}') + 1));
    expect(report.pages).toBeGreaterThanOrEqual(2);
    expect(report.rows).toBeGreaterThan(0);
    expect(report.sqlPerPage.min).toBe(report.sqlPerPage.max);
    expect(report.plan.join('\n')).toMatch(/USING (COVERING )?INDEX orders_customer_id_order_date_id_index/);
  });
});

// `npm run bench:audit` at toy size: the events it times are real appends that verify.
describe('npm run bench:audit', () => {
  it('appends warm-up and measured batches to a chain that verifies, and reports µs per event', async () => {
    const dataDir = path.join(outDir, 'audit-append');
    const { stdout } = await promisify(execFile)(process.execPath, ['--require', require.resolve('tsx/cjs'), path.join(ROOT, 'bench', 'audit-append.ts'), '--batches', '3', '--batch-size', '7', '--data-dir', dataDir], {
      cwd: ROOT,
      timeout: 60_000,
    });
    expect(stdout).toMatch(/^21 small-shaped events in 3 transactions of 7 \(after as many to warm up\), .+\nCPU \d+ µs per event, wall \d+ µs\n$/);
    const store = await openAuditStore({ sqliteFile: path.join(dataDir, 'audit.sqlite'), chain: 'reader' });
    try {
      expect(await verify(store)).toMatchObject({ ok: true, chains: [{ chain: 'bench', ok: true, events: 42 }] });
      expect(Number((await store.knex('field_usage').count({ n: '*' }).first())?.n)).toBe(42 * 12);
    } finally {
      await store.close();
    }
  });
});
