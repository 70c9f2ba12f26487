import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { AuditWriterStats } from '../audit/writer';
import type { SubgraphFetchResult } from '../subgraph-source';

/** How a GraphQL request ended, as the audit trail counts it too. */
export type RequestOutcome = 'ok' | 'partial' | 'error' | 'rejected';

/** Operation names come from clients: past this many distinct names, new ones count as `(other)`. */
const MAX_OPERATION_NAMES = 500;
const MAX_OPERATION_NAME_LENGTH = 100;

// Gateway requests range from cached sub-millisecond refusals to slow federated reads.
const REQUEST_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

export interface GatewayMetrics {
  /** The registry `GET /metrics` serves: its own, never prom-client's global one. */
  registry: Registry;
  observeRequest(operationName: string | null | undefined, outcome: RequestOutcome, durationSeconds: number): void;
  observeSubgraphFetch(result: SubgraphFetchResult): void;
  /** A request's subgraph fetch that joined an identical one in flight instead of calling (inflight-dedup.ts). */
  observeSharedFetch(subgraph: string): void;
  observeDenials(coordinates: readonly string[]): void;
  /** Reads the audit writer's queue at every scrape (nothing is sampled in between). */
  watchAudit(stats: () => AuditWriterStats): void;
}

/** Keeps the label set bounded: clients choose operation names, and each new one is a new series. */
function boundedNames(max: number): (name: string | null | undefined) => string {
  const seen = new Set<string>();
  return (name) => {
    if (!name) return '(anonymous)';
    const label = name.slice(0, MAX_OPERATION_NAME_LENGTH);
    if (seen.has(label)) return label;
    if (seen.size >= max) return '(other)';
    seen.add(label);
    return label;
  };
}

/**
 * The gateway's Prometheus metrics (see /tmp/readme-ops.md for the list). Counters derived from
 * the audit writer's running totals are advanced by their difference at each scrape.
 */
export function createGatewayMetrics(options: { defaultMetrics?: boolean } = {}): GatewayMetrics {
  const registry = new Registry();
  const registers = [registry];
  if (options.defaultMetrics !== false) collectDefaultMetrics({ register: registry, prefix: 'meshgate_' });
  const operationLabel = boundedNames(MAX_OPERATION_NAMES);

  const requests = new Counter({
    name: 'meshgate_graphql_requests_total',
    help: 'GraphQL requests by operation name and outcome (ok, partial, error, rejected).',
    labelNames: ['operation', 'outcome'] as const,
    registers,
  });
  const requestDuration = new Histogram({
    name: 'meshgate_graphql_request_duration_seconds',
    help: 'Time from receiving a GraphQL request to its response, by outcome.',
    labelNames: ['outcome'] as const,
    buckets: REQUEST_BUCKETS,
    registers,
  });
  const fetchDuration = new Histogram({
    name: 'meshgate_subgraph_fetch_duration_seconds',
    help: 'Duration of each call to a subgraph (data product), failed ones included.',
    labelNames: ['subgraph'] as const,
    buckets: REQUEST_BUCKETS,
    registers,
  });
  const fetchErrors = new Counter({
    name: 'meshgate_subgraph_fetch_errors_total',
    help: 'Subgraph calls that failed, by subgraph and code (SUBGRAPH_UNAVAILABLE, SUBGRAPH_TIMEOUT).',
    labelNames: ['subgraph', 'code'] as const,
    registers,
  });
  const sharedFetches = new Counter({
    name: 'meshgate_subgraph_fetches_shared_total',
    help: "Subgraph fetches answered by an identical fetch of the same principal already in flight (no call of their own), by subgraph.",
    labelNames: ['subgraph'] as const,
    registers,
  });
  const denials = new Counter({
    name: 'meshgate_authorization_denials_total',
    help: 'Fields the policy denied, by schema coordinate (Type.field).',
    labelNames: ['coordinate'] as const,
    registers,
  });

  const auditSources: (() => AuditWriterStats)[] = [];
  const auditStats = () => auditSources.map((read) => read());
  const sum = (pick: (s: AuditWriterStats) => number) => auditStats().reduce((total, s) => total + pick(s), 0);
  /** A counter that follows a running total read at scrape time. */
  const followingCounter = (name: string, help: string, pick: (s: AuditWriterStats) => number) => {
    let last = 0;
    new Counter({
      name,
      help,
      registers,
      collect() {
        const now = sum(pick);
        if (now > last) this.inc(now - last);
        last = now;
      },
    });
  };
  new Gauge({
    name: 'meshgate_audit_queue_depth',
    help: 'Audit events waiting in memory to be written to the audit store.',
    registers,
    collect() {
      this.set(sum((s) => s.queued));
    },
  });
  new Gauge({
    name: 'meshgate_audit_write_lag_seconds',
    help: 'How long the oldest queued audit event has waited to be written (0 when the queue is empty).',
    registers,
    collect() {
      this.set(Math.max(0, ...auditStats().map((s) => s.lagMs ?? 0)) / 1000);
    },
  });
  followingCounter('meshgate_audit_events_written_total', 'Audit events committed to the audit store.', (s) => s.written);
  followingCounter('meshgate_audit_failed_batches_total', 'Audit batches whose write failed (each is retried).', (s) => s.failedBatches);
  followingCounter('meshgate_audit_events_rejected_total', 'Audit events refused (queue full, invalid, or writer closed): lost from the trail.', (s) => s.rejected);
  followingCounter('meshgate_audit_held_back_total', 'Requests held back because the audit store was behind on its queue (back-pressure: a slice, or until it caught up).', (s) => s.heldBack);

  return {
    registry,
    observeRequest(operationName, outcome, durationSeconds) {
      requests.inc({ operation: operationLabel(operationName), outcome });
      requestDuration.observe({ outcome }, durationSeconds);
    },
    observeSubgraphFetch({ subgraph, durationMs, failure }) {
      fetchDuration.observe({ subgraph }, durationMs / 1000);
      if (failure) fetchErrors.inc({ subgraph, code: failure.code });
    },
    observeSharedFetch(subgraph) {
      sharedFetches.inc({ subgraph });
    },
    observeDenials(coordinates) {
      for (const coordinate of coordinates) denials.inc({ coordinate });
    },
    watchAudit(stats) {
      auditSources.push(stats);
    },
  };
}
