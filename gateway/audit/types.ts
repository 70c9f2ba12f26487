import type { Classification, Level } from '../../shared/classification';

/** How one field coordinate was used by one operation. */
export interface AuditFieldUse {
  /** `Type.field`. */
  coordinate: string;
  classification: Classification;
  decision: 'allowed' | 'masked' | 'denied';
  /** How many values of this field the response carried (0 for denied fields). */
  values: number;
  /**
   * For personal-data fields (classification has a category): the keys of the entities whose
   * values were returned, e.g. the `Customer` ids whose `email` left the gateway.
   */
  entityKeys?: string[];
}

export type AuditOutcome = 'ok' | 'partial' | 'error' | 'rejected';

/**
 * One operation the gateway received, whatever became of it. Argument values never appear in
 * clear: the operation is recorded by its literal-free signature and hash.
 */
export interface AuditEvent {
  /** Unique id (UUID). */
  id: string;
  /** When the gateway received the request (ISO 8601, UTC). */
  time: string;
  requestId: string;
  subject: string | null;
  roles: string[];
  clientName: string | null;
  clientVersion: string | null;
  purpose: string | null;
  operationName: string | null;
  /** The operation with literals stripped (Apollo's usage-reporting signature); null if it did not parse. */
  operationSignature: string | null;
  /** sha256 of the signature. */
  operationHash: string | null;
  fields: AuditFieldUse[];
  /** Names of the subgraphs the gateway called. */
  subgraphs: string[];
  outcome: AuditOutcome;
  /** `extensions.code` of every error in the response, deduplicated. */
  errorCodes: string[];
  latencyMs: number;
}

export interface AuditAdmission {
  refused: Level[];
  /** A queue slot is held for this operation's event: append it with `{ reserved: true }`. */
  reserved: boolean;
}

/**
 * Where the gateway hands audit events. Implementations queue in memory and write in batches
 * off the request path; `append` never blocks on the store.
 */
export interface AuditSink {
  /**
   * Queues an event; false when the queue cannot take it (it is full). `reserved`: the event of an
   * operation `admit` reserved a slot for; it takes that slot, so a full queue cannot refuse it.
   */
  append(event: AuditEvent, options?: { reserved?: boolean }): boolean;
  /**
   * Whether an operation touching data of `level` may run now: false when the queue is full or
   * the store has been unreachable longer than allowed, for levels configured to fail closed.
   */
  accepts(level: Level): boolean;
  /**
   * Whether an operation reading data of `levels` may run now: `refused` lists the levels `accepts`
   * refuses (empty: it may run). Admitted with a fail-closed level, it holds one queue slot
   * (`reserved`) until its event is appended with `{ reserved: true }`: otherwise the queue could
   * fill between this check and the append, and data already served would go unaudited.
   */
  admit(levels: readonly Level[]): AuditAdmission;
  /**
   * Undefined while the sink keeps up with what it is given; else a promise the audit step awaits
   * before a request runs (back-pressure). Sinks that never fall behind leave it out.
   */
  caughtUp?(): Promise<void> | undefined;
  /** Writes everything queued so far. */
  flush(): Promise<void>;
  /** Flushes, then releases the store. */
  close(): Promise<void>;
}
