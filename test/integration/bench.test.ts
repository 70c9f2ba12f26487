import { describe, expect, it } from 'vitest';
import { runBenchmark } from '../../bench/harness';
import { formatReport } from '../../bench/report';
import { comparisons, GOVERNED_GATEWAY, GOVERNED_NO_AUDIT, workloadId, workloads } from '../../bench/workloads';

// The whole harness (child processes, verification, autocannon, /stats deltas) at toy size:
// proves `npm run bench` works end to end, not how fast anything is.
describe('npm run bench', () => {
  it('measures every workload with successful responses and counts their SQL statements', async () => {
    // Bounded by completed requests, not time: on a loaded machine a heavy request can take
    // seconds, and a 1 s window would then measure nothing. 20 s is only the ceiling.
    const report = await runBenchmark({ scale: 0.02, durationSec: 20, warmupSec: 0, connections: 2, maxRequests: 8, pin: false });

    expect(report.results.map((r) => r.id)).toEqual(workloads.map(workloadId));
    for (const r of report.results) {
      expect(r.requests, r.id).toBeGreaterThan(0);
      expect(r.requestsPerSec, r.id).toBeGreaterThan(0);
      expect(r.p50Ms, r.id).toBeGreaterThan(0);
      expect(r.failures, r.id).toEqual({ errors: 0, timeouts: 0, non2xx: 0, graphqlErrors: 0 });
      expect(r.sqlPerRequest.sales, r.id).toBeGreaterThan(0);
    }
    const heavy = report.results.find((r) => r.id === 'heavy@gateway')!;
    for (const subgraph of ['inventory', 'sales', 'logistics', 'customer-experience']) expect(heavy.sqlPerRequest[subgraph], subgraph).toBeGreaterThan(0);
    expect(report.ratios.map((r) => r.label)).toEqual(comparisons.map((c) => c.label));

    // Governance on vs off: the same queries through the governed gateway, every caller's
    // response verified before the load (a failing one throws), none failing under it.
    for (const name of ['small', 'heavy']) {
      const unaudited = report.results.find((r) => r.id === `${name}@${GOVERNED_NO_AUDIT}`)!;
      expect(unaudited.failures, name).toEqual({ errors: 0, timeouts: 0, non2xx: 0, graphqlErrors: 0 });
      expect(unaudited.auditEventsPerSec, name).toBeUndefined();
      expect(report.results.find((r) => r.id === `${name}@${GOVERNED_GATEWAY}`)!.auditEventsPerSec, name).toBeGreaterThanOrEqual(0);
      const governed = report.results.find((r) => r.id === `${name}@${GOVERNED_GATEWAY}`)!;
      const workload = workloads.find((w) => workloadId(w) === governed?.id)!;
      expect(governed, name).toBeDefined();
      expect(governed.requestsPerSec, name).toBeGreaterThan(0);
      expect(governed.principals, name).toEqual(workload.principals);
      expect(new Set(governed.principals!.map((p) => p.replace(/-\d+$/, ''))).size, name).toBeGreaterThanOrEqual(3);
      expect(governed.failures, name).toEqual({ errors: 0, timeouts: 0, non2xx: 0, graphqlErrors: 0 });
    }
    expect(report.governance.map((g) => g.workload)).toEqual(['small', 'heavy']);
    for (const g of report.governance) {
      expect(g.governed.requestsPerSec, g.workload).toBeGreaterThan(0);
      expect(g.ungoverned.requestsPerSec, g.workload).toBeGreaterThan(0);
      expect(g.throughput, g.workload).toBeCloseTo(g.governed.requestsPerSec / g.ungoverned.requestsPerSec, 10);
    }

    // Audit on vs off, and the governed gateway's store holds one event per request it answered.
    expect(report.audit.map((a) => a.workload)).toEqual(['small', 'heavy']);
    for (const a of report.audit) expect(a.throughput, a.workload).toBeCloseTo(a.on.requestsPerSec / a.off.requestsPerSec, 10);
    expect(report.auditCheck.store).toBe('sqlite');
    expect(report.auditCheck.requests).toBeGreaterThan(0);
    expect(report.auditCheck.events).toBe(report.auditCheck.requests);
    expect(report.auditCheck.met).toBe(true);
    expect(report.auditCheck.writer).toMatchObject({ queued: 0, rejected: 0, failedBatches: 0 });

    const text = formatReport(report);
    expect(text).toContain('heavy:sales-part  sales (direct)');
    expect(text).toContain('small             gateway, governed');
    expect(text.trimEnd().split('\n').at(-1)).toMatch(/^governance on\/off throughput: small \d+\.\d\d, heavy \d+\.\d\d; audit on\/off throughput: small \d+\.\d\d, heavy \d+\.\d\d; events == requests: yes$/);
    expect(text).toMatch(/events in the store (\d+) == requests answered by the governed gateway \1: met/);
  }, 90_000);
});
