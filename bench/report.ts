import fs from 'node:fs';
import path from 'node:path';
import type { Report, RunResult } from './harness';
import { GATEWAYS, LOAD_GENERATOR } from './mesh';
import { GATEWAY, GOVERNED_GATEWAY, GOVERNED_NO_AUDIT } from './workloads';

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

/** Both gateway processes together (pinned, they share CPU 1; only the one under load is busy); undefined without /proc. */
function gatewaysCpu(cpu: Record<string, number>): number | undefined {
  const present = GATEWAYS.filter((name) => name in cpu);
  return present.length ? present.reduce((sum, name) => sum + cpu[name], 0) : undefined;
}

/**
 * Which core limited the row. Pinned, CPU 1 holds the gateways alone (only the one under load is
 * busy) and CPU 0 everything else (subgraphs and load generator), so a gateway row bound by CPU 0
 * was limited by the subgraphs or the load generator, not by the gateway.
 */
export function boundBy(report: Pick<Report, 'pinned'>, r: RunResult): string {
  const cpu = r.cpuPercent;
  const gateway = gatewaysCpu(cpu);
  if (gateway === undefined) return '?';
  const shared = Object.entries(cpu).filter(([name]) => !GATEWAYS.includes(name));
  const sharedTotal = shared.reduce((sum, [, p]) => sum + p, 0);
  if (!report.pinned) return gateway + sharedTotal >= 2 * SATURATED_PERCENT ? 'both CPUs' : 'none';
  const bound = [
    ...(gateway >= SATURATED_PERCENT ? ['CPU1 (gateway)'] : []),
    ...(sharedTotal >= SATURATED_PERCENT ? [`CPU0 (most: ${shared.sort((a, b) => b[1] - a[1])[0][0]})`] : []),
  ];
  return bound.join(' + ') || 'none';
}

/** `gateways/all subgraphs/load generator`, or with `withGenerator` false just the first two. */
function cpuCell(report: Report, cpu: Record<string, number>, format: (n: number) => string, withGenerator: boolean): string {
  const generator = withGenerator ? `/${format(cpu[LOAD_GENERATOR])}` : '';
  const gateway = gatewaysCpu(cpu);
  if (gateway === undefined) return `?/?${generator}`;
  const subgraphs = report.subgraphs.reduce((sum, s) => sum + (cpu[s] ?? 0), 0);
  return `${format(gateway)}/${format(subgraphs)}${generator}`;
}

function targetCell(target: string): string {
  if (target === GATEWAY) return 'gateway';
  if (target === GOVERNED_GATEWAY) return 'gateway, governed';
  if (target === GOVERNED_NO_AUDIT) return 'gateway, governed, no audit';
  return `${target} (direct)`;
}

/** The closing line: governed ÷ ungoverned and audit on ÷ off throughput per workload, and whether the store holds one event per request. */
export function governanceLine(report: Pick<Report, 'governance' | 'audit' | 'auditCheck'>): string {
  const per = (list: { workload: string; throughput: number }[]) => list.map((g) => `${g.workload} ${fixed(g.throughput, 2)}`).join(', ') || 'not measured';
  return `governance on/off throughput: ${per(report.governance)}; audit on/off throughput: ${per(report.audit)}; events == requests: ${report.auditCheck.met ? 'yes' : 'no'}`;
}

/** The report as text: settings, one table row per workload and target, then the ratios. */
export function formatReport(report: Report): string {
  const { machine, settings } = report;
  const rows = [
    ['workload', 'target', 'requests', 'req/s', 'p50 ms', 'p99 ms', 'KB/resp', ...report.subgraphs.map((s) => `SQL/req ${s}`), 'CPU% gw/sub/gen', 'CPU ms/req gw/sub', 'bound by', 'failed'],
    ...report.results.map((r) => [
      r.workload,
      targetCell(r.target),
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
  const governance = [
    ['  workload', 'off req/s', 'on req/s', 'on ÷ off', 'off p50 ms', 'on p50 ms', 'on ÷ off', 'off p99 ms', 'on p99 ms', 'on ÷ off'],
    ...report.governance.map((g) => [
      `  ${g.workload}`,
      fixed(g.ungoverned.requestsPerSec, 0),
      fixed(g.governed.requestsPerSec, 0),
      `${fixed(g.throughput, 2)}×`,
      fixed(g.ungoverned.p50Ms, 2),
      fixed(g.governed.p50Ms, 2),
      `${fixed(g.p50, 2)}×`,
      fixed(g.ungoverned.p99Ms, 2),
      fixed(g.governed.p99Ms, 2),
      `${fixed(g.p99, 2)}×`,
    ]),
  ];
  const audit = [
    ['  workload', 'off req/s', 'on req/s', 'on ÷ off', 'off p50 ms', 'on p50 ms', 'on ÷ off', 'off p99 ms', 'on p99 ms', 'on ÷ off', 'events/s'],
    ...report.audit.map((a) => [
      `  ${a.workload}`,
      fixed(a.off.requestsPerSec, 0),
      fixed(a.on.requestsPerSec, 0),
      `${fixed(a.throughput, 2)}×`,
      fixed(a.off.p50Ms, 2),
      fixed(a.on.p50Ms, 2),
      `${fixed(a.p50, 2)}×`,
      fixed(a.off.p99Ms, 2),
      fixed(a.on.p99Ms, 2),
      `${fixed(a.p99, 2)}×`,
      fixed(a.on.eventsPerSec, 0),
    ]),
  ];
  const check = report.auditCheck;
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
    'governance on ÷ off: the same query through the governed gateway (authenticate, introspection, authorize, mask;',
    'policies/policy.yaml, enforce) and the ungoverned one, same subgraphs, this run:',
    table(governance, (i) => i > 0),
    '  Governed rows send bearer tokens round-robin, one caller per request (two per role: analyst, support with purpose',
    '  customer-support, admin, and for `small` customer, which reads its own orders only). Each caller\'s response was',
    '  verified before the load (data present, no errors); under load any GraphQL error fails a response, FORBIDDEN',
    '  included: these callers may read every field the queries select (some values masked), so no denial is expected.',
    '',
    `audit on ÷ off: the governed gateway with its audit writer (${check.store} store, as \`meshgate gateway\`) and the same`,
    'pipeline without one, same callers, this run; events/s = events the writer committed per second of the audited run:',
    table(audit, (i) => i > 0),
    `  events in the store ${check.events} == requests answered by the governed gateway ${check.requests}: ${check.met ? 'met' : 'MISSED'}`,
    `  (probes, warm-up and measured load, flushed at the end; writer: ${check.writer.written} written, ${check.writer.queued} queued, ${check.writer.failedBatches} failed batches, ${check.writer.rejected} rejected)`,
    '',
    'SQL/req      statements each subgraph ran (GET /stats delta) per request sent.',
    'CPU%         share of one core during the measured run: gateways / all subgraphs / this load generator.',
    'CPU ms/req   CPU time per request sent: what each tier costs, whether or not it was the bottleneck.',
    `bound by     the core at ≥${SATURATED_PERCENT}% (pinned: CPU1 = the gateways alone, CPU0 = subgraphs + load generator, the`,
    '             biggest user named). A gateway row bound by CPU0 only was limited by the subgraphs or the load',
    '             generator, not by the gateway. none = neither core saturated (waiting, or other work on the machine).',
    '',
    governanceLine(report),
  ].join('\n');
}

export function writeJson(report: Report, file: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
}
