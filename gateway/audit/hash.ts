import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { AuditEvent, AuditFieldUse } from './types';

/** The `prev_hash` of each chain's first event. */
export const GENESIS_HASH = '0'.repeat(64);

/**
 * Canonical JSON: object keys sorted (by UTF-16 code units), no whitespace, `undefined` members
 * left out (in arrays: `null`, as JSON.stringify does). Non-finite numbers are refused: they
 * would serialise as `null` and two different events could hash alike.
 */
export function canonicalJson(value: unknown): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return JSON.stringify(value);
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError(`canonicalJson: non-finite number ${value}`);
      return JSON.stringify(value);
    case 'object': {
      if (Array.isArray(value)) return `[${value.map((v) => (v === undefined ? 'null' : canonicalJson(v))).join(',')}]`;
      const obj = value as Record<string, unknown>;
      const keys = Object.keys(obj)
        .filter((k) => obj[k] !== undefined)
        .sort();
      return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`).join(',')}}`;
    }
    default:
      throw new TypeError(`canonicalJson: cannot serialise a ${typeof value}`);
  }
}

const nullable = (v: unknown): string | null => (v === undefined || v === null ? null : String(v));

function normaliseField(f: AuditFieldUse): AuditFieldUse {
  const { level, category } = f.classification;
  if (typeof f.coordinate !== 'string' || typeof f.decision !== 'string' || typeof level !== 'string' || (category != null && typeof category !== 'string')) {
    throw new TypeError(`audit field ${String(f.coordinate)}: coordinate, decision, level and category must be strings`);
  }
  if (!Number.isFinite(f.values)) throw new TypeError(`audit field ${f.coordinate}: invalid values count`);
  // Members in sorted order, each a string, a number or an array of strings: JSON.stringify of
  // the result is its canonical JSON (see canonicalEventJson).
  return {
    classification: category ? { category, level } : { level },
    coordinate: f.coordinate,
    decision: f.decision,
    ...(f.entityKeys && { entityKeys: f.entityKeys.map(String) }),
    values: f.values,
  };
}

/**
 * The event exactly as the store will read it back: known members only, `null` for absent
 * optionals, the time as `toISOString()` (millisecond UTC). Throws on an invalid time.
 */
export function normaliseEvent(e: AuditEvent): AuditEvent {
  const time = new Date(e.time);
  if (Number.isNaN(time.getTime())) throw new TypeError(`audit event ${e.id}: invalid time "${e.time}"`);
  if (!Number.isFinite(e.latencyMs)) throw new TypeError(`audit event ${e.id}: invalid latencyMs`);
  if (typeof e.outcome !== 'string') throw new TypeError(`audit event ${e.id}: invalid outcome`);
  return {
    id: String(e.id),
    time: time.toISOString(),
    requestId: String(e.requestId),
    subject: nullable(e.subject),
    roles: [...(e.roles ?? [])].map(String),
    clientName: nullable(e.clientName),
    clientVersion: nullable(e.clientVersion),
    purpose: nullable(e.purpose),
    operationName: nullable(e.operationName),
    operationSignature: nullable(e.operationSignature),
    operationHash: nullable(e.operationHash),
    fields: (e.fields ?? []).map(normaliseField),
    subgraphs: [...(e.subgraphs ?? [])].map(String),
    outcome: e.outcome,
    errorCodes: [...(e.errorCodes ?? [])].map(String),
    latencyMs: e.latencyMs,
  };
}

/** A batch as the store writes it: each event normalised, the first of each id only. */
export function distinctNormalised(events: AuditEvent[]): AuditEvent[] {
  const seen = new Set<string>();
  return events.map(normaliseEvent).filter((e) => !seen.has(e.id) && seen.add(e.id));
}

/**
 * An event's hash: sha256 (hex) over the canonical JSON of its chain, sequence number, the
 * previous event's hash and its (normalised) content. Chain and seq are inside the hash, so a
 * row moved to another position or chain no longer matches.
 */
export function eventHash(args: { chain: string; seq: number; prevHash: string; event: AuditEvent }): string {
  return chainedEventHash(args.chain, args.seq, args.prevHash, canonicalJson(args.event));
}

/** `eventHash` given the event's canonical JSON: the payload's members in sorted order around it. */
export function chainedEventHash(chain: string, seq: number, prevHash: string, eventJson: string): string {
  const payload = `{"chain":${canonicalJson(chain)},"event":${eventJson},"prevHash":${canonicalJson(prevHash)},"seq":${canonicalJson(seq)},"v":1}`;
  return createHash('sha256').update(payload).digest('hex');
}

/**
 * The canonical JSON of an event `normaliseEvent` returned, built by the native JSON.stringify
 * (the recursive `canonicalJson` was 15% of the append thread's time): the members in
 * sorted order, each a string, null, a finite number or an array of strings, and `fields`, whose
 * members normaliseField builds in sorted order. `fieldsJson` is `JSON.stringify(e.fields)`, which
 * the store also writes to its `fields` column.
 */
export function canonicalEventJson(e: AuditEvent, fieldsJson = JSON.stringify(e.fields)): string {
  const s = JSON.stringify;
  return (
    `{"clientName":${s(e.clientName)},"clientVersion":${s(e.clientVersion)},"errorCodes":${s(e.errorCodes)},"fields":${fieldsJson},"id":${s(e.id)},` +
    `"latencyMs":${s(e.latencyMs)},"operationHash":${s(e.operationHash)},"operationName":${s(e.operationName)},"operationSignature":${s(e.operationSignature)},` +
    `"outcome":${s(e.outcome)},"purpose":${s(e.purpose)},"requestId":${s(e.requestId)},"roles":${s(e.roles)},"subgraphs":${s(e.subgraphs)},"subject":${s(e.subject)},"time":${s(e.time)}}`
  );
}

export interface CheckpointContent {
  chain: string;
  seq: number;
  hash: string;
  prunedBefore: string;
  createdAt: string;
}

/** HMAC-SHA256 (hex) over a checkpoint's canonical JSON. */
export function checkpointMac(c: CheckpointContent, key: string): string {
  const payload = canonicalJson({ v: 1, chain: c.chain, seq: c.seq, hash: c.hash, prunedBefore: c.prunedBefore, createdAt: c.createdAt });
  return createHmac('sha256', key).update(payload).digest('hex');
}

/** A chain's signed head: the writer's last appended event (seq and hash) when it signed. */
export interface SignedHeadContent {
  chain: string;
  seq: number;
  hash: string;
  /** When the head was signed (ISO 8601). */
  signedAt: string;
}

/**
 * HMAC-SHA256 (hex) over a signed head's canonical JSON. `kind: 'head'` keeps a checkpoint's MAC
 * from being passed off as a head's (their other members could coincide).
 */
export function signedHeadMac(h: SignedHeadContent, key: string): string {
  const payload = canonicalJson({ v: 1, kind: 'head', chain: h.chain, seq: h.seq, hash: h.hash, signedAt: h.signedAt });
  return createHmac('sha256', key).update(payload).digest('hex');
}

export function macMatches(expected: string, actual: string): boolean {
  const a = Buffer.from(expected, 'hex');
  const b = Buffer.from(actual, 'hex');
  return a.length === b.length && a.length > 0 && timingSafeEqual(a, b);
}
