import fs from 'node:fs';
import path from 'node:path';
import type { Report, RunResult } from './harness';
import { LOAD_GENERATOR } from './mesh';

/** A process at or above this share of one core is taken as saturating it. */
const SATURATED_PERCENT = 85;

function table(rows: string[][], rightAligned: (column: number) => boolean): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) => r.map((cell, i) => (rightAligned(i) ? cell.padStart(widths[i]) : cell.padEnd(widths[i]))).join('  ').trimEnd()).join('\n');
}

const fixed = (n: number, digits: number) => (Number.isFinite(n) ? n.toFixed(digits) : '–');

export function failedResponses(r: RunResult): number {
  const f = r.failures;
  return f.errors + f.timeouts + f.non2xx + f.graphqlErrors;
}

/**
 * Which core limited the row. Pinned, CPU 1 holds the gateway alone and CPU 0 everything else
 * (subgraphs and load generator), so a gateway row bound by CPU 0 was limited by the subgraphs
 * or the load generator, not by the gateway.
 */
export function boundBy(report: Pick<Report, 'pinned'>, r: RunResult): string {
  const cpu = r.cpuPercent;
  if (!('gateway' in cpu)) return '?';
  const shared = Object.entries(cpu).filter(([name]) => name !== 'gateway');
  const sharedTotal = shared.reduce((sum, [, p]) => sum + p, 0);
  if (!report.pinned) return cpu.gateway + sharedTotal >= 2 * SATURATED_PERCENT ? 'both CPUs' : 'none';
  const bound = [
    ...(cpu.gateway >= SATURATED_PERCENT ? ['CPU1 (gateway)'] : []),
    ...(sharedTotal >= SATURATED_PERCENT ? [`CPU0 (most: ${shared.sort((a, b) => b[1] - a[1])[0][0]})`] : []),
  ];
  return bound.join(' + ') || 'none';
}

/** `gateway/all subgraphs/load generator`, or with `withGenerator` false just the first two. */
function cpuCell(report: Report, cpu: Record<string, number>, format: (n: number) => string, withGenerator: boolean): string {
  const generator = withGenerator ? `/${format(cpu[LOAD_GENERATOR])}` : '';
  if (!('gateway' in cpu)) return `?/?${generator}`;
  const subgraphs = report.subgraphs.reduce((sum, s) => sum + (cpu[s] ?? 0), 0);
  return `${format(cpu.gateway)}/${format(subgraphs)}${generator}`;
}

/** The report as text: settings, one table row per workload and target, then the ratios. */
export function formatReport(report: Report): string {
  const { machine, settings } = report;
  const rows = [
    ['workload', 'target', 'requests', 'req/s', 'p50 ms', 'p99 ms', 'KB/resp', ...report.subgraphs.map((s) => `SQL/req ${s}`), 'CPU% gw/sub/gen', 'CPU ms/req gw/sub', 'bound by', 'failed'],
    ...report.results.map((r) => [
      r.workload,
      r.target === 'gateway' ? 'gateway' : `${r.target} (direct)`,
      String(r.requests),
      fixed(r.requestsPerSec, 0),
      fixed(r.p50Ms, 2),
      fixed(r.p99Ms, 2),
      fixed(r.responseKB, 1),
      ...report.subgraphs.map((s) => fixed(r.sqlPerRequest[s] ?? 0, 2)),
      cpuCell(report, r.cpuPercent, String, true),
      cpuCell(report, r.cpuMsPerRequest, (n) => fixed(n, 1), false),
      boundBy(report, r),
      String(failedResponses(r)),
    ]),
  ];
  const numeric = (i: number) => i >= 2 && rows[0][i] !== 'bound by';
  const measures = [...new Map(report.results.map((r) => [`${r.workload} → ${r.target}`, r.measures])).entries()].map(([k, v]) => `  ${k}: ${v}`);
  const ratios = report.ratios.map((r) => [`  ${r.label}`, `${fixed(r.throughput, 2)}× req/s`, `${fixed(r.p50, 2)}× p50`, `${fixed(r.p99, 2)}× p99`]);
  return [
    `machine    ${machine.cpuModel}, ${machine.cores} cores, node ${machine.node}, ${machine.platform}; load average ${fixed(report.loadAverage.before, 2)} before, ${fixed(report.loadAverage.after, 2)} after`,
    `placement  ${report.placement}`,
    `settings   scale ${settings.scale}, ${settings.connections} connections, ${settings.warmupSec} s warm-up + ${settings.durationSec} s measured per row (at most ${settings.maxRequests} requests)`,
    '',
    table(rows, numeric),
    '',
    'rows:',
    ...measures,
    '',
    'gateway ÷ direct, measured in this run:',
    table(ratios, (i) => i > 0),
    '',
    'SQL/req      statements each subgraph ran (GET /stats delta) per request sent.',
    'CPU%         share of one core during the measured run: gateway / all subgraphs / this load generator.',
    'CPU ms/req   CPU time per request sent: what each tier costs, whether or not it was the bottleneck.',
    `bound by     the core at ≥${SATURATED_PERCENT}% (pinned: CPU1 = the gateway alone, CPU0 = subgraphs + load generator, the`,
    '             biggest user named). A gateway row bound by CPU0 only was limited by the subgraphs or the load',
    '             generator, not by the gateway. none = neither core saturated (waiting, or other work on the machine).',
  ].join('\n');
}

export function writeJson(report: Report, file: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
}
