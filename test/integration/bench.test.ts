import { describe, expect, it } from 'vitest';
import { runBenchmark } from '../../bench/harness';
import { formatReport } from '../../bench/report';
import { comparisons, workloadId, workloads } from '../../bench/workloads';

// The whole harness (child processes, verification, autocannon, /stats deltas) at toy size:
// proves `npm run bench` works end to end, not how fast anything is.
describe('npm run bench', () => {
  it('measures every workload with successful responses and counts their SQL statements', async () => {
    const report = await runBenchmark({ scale: 0.02, durationSec: 1, warmupSec: 0, connections: 2, maxRequests: 5_000, pin: false });

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
    expect(formatReport(report)).toContain('heavy:sales-part  sales (direct)');
  }, 90_000);
});
