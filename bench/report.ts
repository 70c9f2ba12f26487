import fs from 'node:fs';
import path from 'node:path';
import { GATEWAY_NODE_FLAGS } from '../gateway/heap-growth';
import type { Row } from './aggregate';
import type { Report } from './harness';
import { failedResponses } from './load';
import { LOAD_GENERATOR } from './mesh';
import { BARE, GATEWAY_LABELS, GATEWAYS, GOVERNED, UNAUDITED, type GatewayName } from './workloads';

/** A process at or above this share of one core is taken as saturating it. */
const SATURATED_PERCENT = 85;

function table(rows: string[][], rightAligned: (column: number) => boolean): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) => r.map((cell, i) => (rightAligned(i) ? cell.padStart(widths[i]) : cell.padEnd(widths[i]))).join('  ').trimEnd()).join('\n');
}

const fixed = (n: number | undefined, digits: number) => (n !== undefined && Number.isFinite(n) ? n.toFixed(digits) : '–');

/**
 * Which core limited the row. Pinned, CPU 1 holds the gateway under load alone and CPU 0 the
 * subgraphs and the load generator: a row bound by CPU0 only says little about the gateway.
 */
export function boundBy(report: Pick<Report, 'pinned'>, r: Row): string {
  const gateway = GATEWAYS.reduce((total, name) => total + (r.cpuPercent[name] ?? 0), 0);
  const shared = Object.entries(r.cpuPercent).filter(([name]) => !(GATEWAYS as readonly string[]).includes(name));
  if (!shared.length) return '?';
  const sharedTotal = shared.reduce((total, [, p]) => total + p, 0);
  if (!report.pinned) return gateway + sharedTotal >= 2 * SATURATED_PERCENT ? 'both CPUs' : 'none';
  const busiest = shared.sort((a, b) => b[1] - a[1])[0][0];
  const bound = [...(gateway >= SATURATED_PERCENT ? ['CPU1 gateway'] : []), ...(sharedTotal >= SATURATED_PERCENT ? [`CPU0 ${busiest === LOAD_GENERATOR ? 'load' : busiest}`] : [])];
  return bound.join(' + ') || 'none';
}

/** The closing line, the run in one line: governed ÷ bare requests/s per workload. */
export function summaryLine(report: Pick<Report, 'rows'>): string {
  const governed = report.rows.filter((r) => r.gateway === GOVERNED);
  return `governed/bare throughput: ${governed.map((r) => `${r.workload} ${fixed(r.vsBare.throughput, 2)}`).join(', ')}`;
}

/**
 * CPU the gateway spent per response, in ms: its cost even where the subgraphs' core, not the
 * gateway, bounds throughput (then req/s hardly differs between gateways, but this does).
 */
export function gatewayCpuMsPerRequest(r: Row): number {
  return cpuMsPerRequest(r, r.cpuPercent[r.gateway]);
}

/** A share of one core (%) during a row as CPU ms per response. */
function cpuMsPerRequest(r: Row, percent: number | undefined): number {
  return percent === undefined || r.requestsPerSec === 0 ? NaN : (percent * 10) / r.requestsPerSec;
}

/**
 * Where a row's latency queued for a CPU, in ms per response: the gateway's event loop, the
 * subgraphs' main threads (next to the subgraphs' CPU per response, all threads) and the load
 * generator. Subgraphs that wait as long as they work are what a saturated CPU0 looks like even
 * when no single process reaches `SATURATED_PERCENT`.
 */
export function runQueueWait(r: Row): { gateway: number; subgraphCpu: number; subgraphs: number; loadGenerator: number } {
  const isSubgraph = (name: string) => name !== LOAD_GENERATOR && !(GATEWAYS as readonly string[]).includes(name);
  const waited = Object.entries(r.runQueueWaitMsPerRequest);
  const subgraphPercent = Object.entries(r.cpuPercent).reduce((total, [name, p]) => total + (isSubgraph(name) ? p : 0), 0);
  return {
    gateway: r.runQueueWaitMsPerRequest[r.gateway] ?? NaN,
    subgraphCpu: cpuMsPerRequest(r, subgraphPercent),
    subgraphs: waited.length ? waited.reduce((total, [name, ms]) => total + (isSubgraph(name) ? ms : 0), 0) : NaN,
    loadGenerator: r.runQueueWaitMsPerRequest[LOAD_GENERATOR] ?? NaN,
  };
}

/** What the audit step costs, per workload: governed ÷ unaudited requests/s, and events the store gained per measured second. */
export function auditCost(report: Pick<Report, 'rows'>): { workload: string; throughputOnOff: number; eventsPerSec: number }[] {
  return report.rows
    .filter((r) => r.gateway === GOVERNED)
    .map((r) => {
      const off = report.rows.find((o) => o.gateway === UNAUDITED && o.workload === r.workload);
      return { workload: r.workload, throughputOnOff: off ? r.requestsPerSec / off.requestsPerSec : NaN, eventsPerSec: (r.audit?.events ?? 0) / r.durationSec };
    });
}

function rowCells(report: Report, r: Row, firstOfWorkload: boolean): string[] {
  return [
    firstOfWorkload ? r.workload : '',
    r.gateway,
    String(r.requests),
    fixed(r.requestsPerSec, 0),
    r.gateway === BARE ? '1.00' : fixed(r.vsBare.throughput, 2),
    fixed(r.p50Ms, 1),
    fixed(r.p99Ms, 1),
    r.gateway === BARE ? '1.00' : fixed(r.vsBare.p99, 2),
    fixed(r.peakRssMB, 0),
    fixed(r.sqlPerRequest, 1),
    fixed(r.responseKB, 1),
    String(r.cpuPercent[r.gateway] ?? '?'),
    fixed(gatewayCpuMsPerRequest(r), 1),
    boundBy(report, r),
    r.audit ? `${r.audit.events}/${r.audit.requests}` : '',
    String(failedResponses(r.failures)),
  ];
}

/** The report as text: settings, one row per workload and gateway, the targets, then the legend. */
export function formatReport(report: Report): string {
  const { machine, settings } = report;
  const header = ['workload', 'gateway', 'requests', 'req/s', '×bare', 'p50 ms', 'p99 ms', 'p99 ×bare', 'peak RSS MB', 'SQL/req', 'KB/resp', 'gw CPU%', 'gw ms/req', 'bound by', 'audit/req', 'failed'];
  const rows = [header, ...report.rows.map((r, i) => rowCells(report, r, i === 0 || report.rows[i - 1].workload !== r.workload))];
  const leftAligned = new Set([0, 1, header.indexOf('bound by')]);
  const soak = report.soak
    ? [
        '',
        `soak: ${report.soak.workload} via governed for ${fixed(report.soak.durationSec, 0)} s: ${fixed(report.soak.requestsPerSec, 0)} req/s, p99 ${fixed(report.soak.p99Ms, 1)} ms, ` +
          `RSS ${fixed(report.soak.rssFirstMB, 0)} MB over the first ${fixed(report.soak.durationSec / 5, 0)} s → ${fixed(report.soak.rssLastMB, 0)} MB over the last (means; peaks ${fixed(report.soak.rssFirstPeakMB, 0)} → ${fixed(report.soak.rssLastPeakMB, 0)} MB), audit ${report.soak.audit.events}/${report.soak.audit.requests}, failed ${failedResponses(report.soak.failures)}`,
      ]
    : [];
  const check = report.auditCheck;
  const byThread = report.rows.filter((r) => r.gatewayCpuMsByThread);
  const threads = byThread.length
    ? [
        '',
        'gw ms/req by thread: the event loop, the audit append thread, the rest (V8 garbage-collector helpers, libuv)',
        table(
          [
            ['workload', 'gateway', 'event loop', 'audit thread', 'helpers'],
            ...byThread.map((r, i) => {
              const t = r.gatewayCpuMsByThread!;
              return [i === 0 || byThread[i - 1].workload !== r.workload ? r.workload : '', r.gateway, fixed(t.eventLoop, 2), fixed(t.auditThread, 2), fixed(t.helpers, 2)];
            }),
          ],
          (i) => i > 1,
        ),
      ]
    : [];
  const queued = report.rows.filter((r) => Object.keys(r.runQueueWaitMsPerRequest).length);
  const queueing = queued.length
    ? [
        '',
        'ms/req waiting for a CPU (runnable, not running): the gateway\'s event loop; the subgraphs\' main threads, next to their CPU ms/req; the load generator',
        table(
          [
            ['workload', 'gateway', 'gw loop waited', 'subgraphs CPU', 'subgraphs waited', 'load gen waited'],
            ...queued.map((r, i) => {
              const q = runQueueWait(r);
              return [i === 0 || queued[i - 1].workload !== r.workload ? r.workload : '', r.gateway, fixed(q.gateway, 2), fixed(q.subgraphCpu, 2), fixed(q.subgraphs, 2), fixed(q.loadGenerator, 2)];
            }),
          ],
          (i) => i > 1,
        ),
      ]
    : [];
  const equal = report.equalLoad;
  const equalLoad = equal?.rows.length
    ? [
        '',
        `latency at equal load: bare and governed at ${Math.round(equal.share * 100)}% of bare's req/s above, open loop (latency from when each request was due), ${equal.rounds} × ${equal.durationSec} s each`,
        table(
          [
            ['workload', 'req/s', 'bare p50', 'bare p99', 'governed p50', 'governed p99', 'p99 ×bare', 'failed'],
            ...equal.rows.map((r) => [r.workload, fixed(r.ratePerSec, 0), fixed(r.bare.p50Ms, 1), fixed(r.bare.p99Ms, 1), fixed(r.governed.p50Ms, 1), fixed(r.governed.p99Ms, 1), fixed(r.p99Ratio, 2), String(r.bare.failed + r.governed.failed)]),
          ],
          (i) => i > 0,
        ),
      ]
    : [];
  return [
    `machine    ${machine.cpuModel}, ${machine.cores} cores, node ${machine.node}, ${machine.platform}; load average ${fixed(report.loadAverage.before, 2)} before, ${fixed(report.loadAverage.after, 2)} after`,
    `placement  ${report.placement}`,
    `settings   scale ${settings.scale}, ${settings.connections} connections, ${settings.rounds} rounds (order: ${report.order.map((o) => o.join(' → ')).join('; ')}), ` +
      `${settings.warmupSec} s warm-up (first round) + ${settings.durationSec} s measured per row`,
    'subgraphs  unsigned for every gateway (plain @apollo/gateway cannot sign); development mode',
    '',
    table(rows, (i) => !leftAligned.has(i)),
    ...threads,
    ...queueing,
    ...equalLoad,
    ...soak,
    '',
    `audit on ÷ off (governed ÷ unaudited req/s): ${auditCost(report).map((a) => `${a.workload} ${fixed(a.throughputOnOff, 2)}`).join(', ')}`,
    `audit events written per second (governed): ${auditCost(report).map((a) => `${a.workload} ${fixed(a.eventsPerSec, 0)}`).join(', ')}`,
    '',
    'targets (reported, not enforced):',
    ...report.targets.map((t) => `  ${t.met ? 'met   ' : 'missed'}  ${t.name}: ${t.detail}`),
    ...(report.soak ? [] : ['  –       soak (RSS growth < 10% over 5 min): not run, add --soak']),
    `  audit writer: ${check.writer.written} written, ${check.writer.queued} queued, ${check.writer.failedBatches} failed batches, ${check.writer.rejected} rejected, ${check.writer.heldBack} requests held back (for a slice, or until it caught up)`,
    '',
    'gateways:',
    ...GATEWAYS.map((g: GatewayName) => `  ${g.padEnd(9)} ${GATEWAY_LABELS[g]}`),
    `Meshgate's gateways run as the Dockerfile starts one (node ${GATEWAY_NODE_FLAGS.join(' ')}); bare with node's defaults.`,
    'req/s, p50, p99: all rounds together; ×bare: ÷ the bare row of the workload. peak RSS: highest VmRSS sampled',
    'during the row. SQL/req: all subgraphs per request sent. gw CPU%: the gateway under load, % of one core;',
    'bound by: a core at ≥85% (CPU1 = the gateway alone; CPU0 = subgraphs + load generator, busiest named).',
    'gw ms/req: the gateway\'s CPU time per response (gw CPU% ÷ req/s), its cost whatever bounds throughput.',
    'audit/req: events the store gained ÷ requests sent in the measured runs.',
  ].join('\n');
}

/** latest.json: the report without per-response latencies. */
export function writeJson(report: Report, file: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, `${JSON.stringify({ ...report, rows: report.rows.map((r) => ({ ...r, gatewayCpuMsPerRequest: gatewayCpuMsPerRequest(r) })), auditCost: auditCost(report), summary: summaryLine(report) }, null, 2)}\n`);
}
