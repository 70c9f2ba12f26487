import type { Row } from './aggregate';
import type { BenchAuditStats } from './gateway-process';
import type { SoakResult } from './soak';
import { GOVERNED } from './workloads';

/** Issue #7's goals for the governed gateway against the bare one: reported as met or missed, never a failure. */
export const THROUGHPUT_TARGET = 1.5;
export const THROUGHPUT_AIM = 2.0;
export const P99_TARGET = 0.5;
export const RSS_GROWTH_TARGET = 0.1;

export interface Target {
  name: string;
  /** The figures behind the verdict, e.g. `small 1.62, heavy 1.48`. */
  detail: string;
  met: boolean;
}

/** Events in the store against requests the governed gateway was sent over the whole run: probes, warm-ups, measured runs, soak. */
export interface AuditCheck {
  requests: number;
  events: number;
  met: boolean;
  /** The writer's own counts (the store's `events` are above). */
  writer: Omit<BenchAuditStats, 'events'>;
}

const two = (n: number) => (Number.isFinite(n) ? n.toFixed(2) : '–');

export function evaluateTargets(rows: Row[], auditCheck: AuditCheck, soak: SoakResult | undefined): Target[] {
  const governed = rows.filter((r) => r.gateway === GOVERNED);
  const perWorkload = (figure: (r: Row) => number, suffix = '') => governed.map((r) => `${r.workload} ${two(figure(r))}${suffix}`).join(', ');
  const aimed = governed.every((r) => r.vsBare.throughput >= THROUGHPUT_AIM);
  const targets: Target[] = [
    {
      name: `governed/bare throughput ≥ ${two(THROUGHPUT_TARGET)} on every workload (aim ${two(THROUGHPUT_AIM)}${aimed ? ': reached' : ''})`,
      detail: perWorkload((r) => r.vsBare.throughput),
      met: governed.length > 0 && governed.every((r) => r.vsBare.throughput >= THROUGHPUT_TARGET),
    },
    {
      name: `governed p99 ≤ ${P99_TARGET} × bare p99 on every workload`,
      detail: perWorkload((r) => r.vsBare.p99, '×'),
      met: governed.length > 0 && governed.every((r) => r.vsBare.p99 <= P99_TARGET),
    },
    {
      name: 'audit events == requests (governed)',
      detail: `${governed.map((r) => `${r.workload} ${r.audit?.events ?? '?'}/${r.audit?.requests ?? '?'}`).join(', ')}; whole run ${auditCheck.events}/${auditCheck.requests}`,
      met: auditCheck.met && governed.every((r) => r.audit?.met),
    },
  ];
  if (soak) {
    const mb = (n: number | undefined) => (n === undefined ? '?' : n.toFixed(0));
    targets.push({
      name: `soak: governed RSS growth from the first ${Math.round(soak.durationSec / 5)} s to the last < ${RSS_GROWTH_TARGET * 100}% (mean of 1-s readings)`,
      detail: `${mb(soak.rssFirstMB)} MB → ${mb(soak.rssLastMB)} MB (${soak.growth === undefined ? '?' : `${(soak.growth * 100).toFixed(1)}%`}; peaks ${mb(soak.rssFirstPeakMB)} → ${mb(soak.rssLastPeakMB)} MB)`,
      met: soak.growth !== undefined && soak.growth < RSS_GROWTH_TARGET,
    });
  }
  return targets;
}
