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

/**
 * Where the gateway hands audit events. Implementations queue in memory and write in batches
 * off the request path; `append` never blocks on the store.
 */
export interface AuditSink {
  /** Queues an event; false when the queue cannot take it (it is full). */
  append(event: AuditEvent): boolean;
  /**
   * Whether an operation touching data of `level` may run now: false when the queue is full or
   * the store has been unreachable longer than allowed, for levels configured to fail closed.
   */
  accepts(level: Level): boolean;
  /** Writes everything queued so far. */
  flush(): Promise<void>;
  /** Flushes, then releases the store. */
  close(): Promise<void>;
}
