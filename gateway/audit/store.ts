import { randomBytes } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import type { Knex } from 'knex';
import { createDb, insertInChunks, migrateToLatest, type Database, type Migration } from '../../shared/db';
import { MeshgateError } from '../../shared/errors';
import { MIN_SECRET_LENGTH } from '../../shared/signing';
import { checkpointMac, eventHash, GENESIS_HASH, macMatches, normaliseEvent } from './hash';
import * as initial from './migrations/001_initial';
import type { AuditEvent } from './types';

export const AUDIT_MIGRATIONS: Record<string, Migration> = { '001_initial': initial };

/** The PostgreSQL schema holding the audit tables unless configured otherwise. */
export const DEFAULT_AUDIT_SCHEMA = 'audit';

export interface AuditStoreConfig {
  /** `postgres://…`; absent for the embedded SQLite file. */
  url?: string;
  /** PostgreSQL schema (default `audit`). */
  schema?: string;
  /** SQLite file (default `<MESHGATE_DATA_DIR or .data>/audit.sqlite`); `:memory:` in tests. */
  sqliteFile?: string;
  /** This writer's chain id (see `AuditStore`); default `MESHGATE_REPLICA_ID` or a random id per process. */
  chain?: string;
}

/**
 * `MESHGATE_AUDIT_DATABASE_URL` (+ `MESHGATE_AUDIT_DB_SCHEMA`, default `audit`) for PostgreSQL,
 * else `<MESHGATE_DATA_DIR or .data>/audit.sqlite`; the chain is `MESHGATE_REPLICA_ID` if set.
 */
export function auditStoreConfigFromEnv(env: NodeJS.ProcessEnv = process.env): AuditStoreConfig {
  const chain = env.MESHGATE_REPLICA_ID || undefined;
  if (env.MESHGATE_AUDIT_DATABASE_URL) {
    return { url: env.MESHGATE_AUDIT_DATABASE_URL, schema: env.MESHGATE_AUDIT_DB_SCHEMA || DEFAULT_AUDIT_SCHEMA, chain };
  }
  const dataDir = env.MESHGATE_DATA_DIR || path.resolve('.data');
  return { sqliteFile: path.join(dataDir, 'audit.sqlite'), chain };
}

/** A chain id unique to this process: `<host>-<pid>-<random>`. */
export function randomChainId(): string {
  return `${os.hostname().replace(/[^a-zA-Z0-9_.-]/g, '_').slice(0, 60)}-${process.pid}-${randomBytes(4).toString('hex')}`;
}

/** What the writer needs from a store: one atomic batch append. */
export interface AuditAppender {
  append(events: AuditEvent[]): Promise<void>;
  close(): Promise<void>;
}

/** An event as stored: the event plus its place in its chain. */
export interface StoredAuditEvent extends AuditEvent {
  chain: string;
  seq: number;
  prevHash: string;
  hash: string;
}

/**
 * The append-only, hash-chained audit store (knex; SQLite or PostgreSQL, same code).
 *
 * Concurrency design: ONE CHAIN PER WRITER. Each store instance appends to its own chain (the
 * replica id, `MESHGATE_REPLICA_ID`, or a random id per process), with a per-chain sequence
 * number, so replicas writing to one PostgreSQL database never contend and every chain is
 * verifiable on its own. As a safety net for two processes configured with the same replica id,
 * every batch also locks its chain's head row (`SELECT … FOR UPDATE` on `chains`) inside the
 * batch transaction: appends to one chain are serialised, never forked; `UNIQUE (chain, seq)`
 * backs that up. (SQLite has a single writer connection, so transactions are serial anyway.)
 */
export class AuditStore implements AuditAppender {
  constructor(
    readonly db: Database,
    readonly chain: string,
  ) {}

  get knex(): Knex {
    return this.db.knex;
  }

  /**
   * Appends a batch in one transaction: events extend this store's chain, with their field-usage
   * and entity-key index rows. Idempotent per event id (a retried batch whose earlier commit was
   * in fact applied writes nothing twice).
   */
  async append(events: AuditEvent[]): Promise<void> {
    if (events.length === 0) return;
    const seen = new Set<string>();
    const batch = events.map(normaliseEvent).filter((e) => !seen.has(e.id) && seen.add(e.id));
    const isPg = this.db.dialect === 'postgres';
    await this.knex.transaction(async (trx) => {
      const existing = new Set<string>();
      for (let i = 0; i < batch.length; i += 500) {
        const ids = batch.slice(i, i + 500).map((e) => e.id);
        for (const row of await trx('events').whereIn('id', ids).select('id')) existing.add(row.id);
      }
      const fresh = existing.size ? batch.filter((e) => !existing.has(e.id)) : batch;
      if (fresh.length === 0) return;
      await trx('chains').insert({ chain: this.chain, seq: 0, hash: GENESIS_HASH }).onConflict('chain').ignore();
      const headQuery = trx('chains').where({ chain: this.chain }).first('seq', 'hash');
      const head = await (isPg ? headQuery.forUpdate() : headQuery);
      let seq = Number(head.seq);
      let prevHash: string = head.hash;
      const eventRows: object[] = [];
      const fieldRows: object[] = [];
      const keyRows: object[] = [];
      for (const event of fresh) {
        seq += 1;
        const hash = eventHash({ chain: this.chain, seq, prevHash, event });
        eventRows.push(eventToRow(event, this.chain, seq, prevHash, hash));
        prevHash = hash;
        for (const f of event.fields) {
          fieldRows.push({
            event_id: event.id,
            time: event.time,
            coordinate: f.coordinate,
            level: f.classification.level,
            category: f.classification.category ?? null,
            decision: f.decision,
            value_count: f.values,
            client_name: event.clientName,
          });
          for (const key of new Set(f.entityKeys ?? [])) {
            keyRows.push({ entity_key: key, coordinate: f.coordinate, event_id: event.id, time: event.time, subject: event.subject });
          }
        }
      }
      await insertInChunks(trx, 'events', eventRows);
      await insertInChunks(trx, 'field_usage', fieldRows);
      await insertInChunks(trx, 'entity_keys', keyRows);
      await trx('chains').where({ chain: this.chain }).update({ seq, hash: prevHash });
    });
  }

  close(): Promise<void> {
    return this.db.close();
  }
}

/** Opens (and migrates) the audit store. Pass `db` to use an existing connection (tests). */
export async function openAuditStore(config: AuditStoreConfig & { db?: Database } = auditStoreConfigFromEnv()): Promise<AuditStore> {
  const db =
    config.db ??
    (config.url
      ? createDb({ url: config.url, schema: config.schema ?? DEFAULT_AUDIT_SCHEMA })
      : createDb({ sqliteFile: config.sqliteFile ?? auditStoreConfigFromEnv().sqliteFile }));
  try {
    // Replicas starting together race on CREATE SCHEMA and knex's migration lock: retry a little.
    for (let attempt = 1; ; attempt++) {
      try {
        await migrateToLatest(db, AUDIT_MIGRATIONS);
        break;
      } catch (err) {
        if (attempt >= 5) throw err;
        await new Promise((resolve) => setTimeout(resolve, 100 * attempt));
      }
    }
  } catch (err) {
    if (!config.db) await db.close().catch(() => {});
    throw new MeshgateError('AUDIT_UNAVAILABLE', `cannot open the audit store: ${(err as Error).message.split('\n')[0].slice(0, 300)}`);
  }
  return new AuditStore(db, config.chain ?? randomChainId());
}

/**
 * A store opened on first use: the gateway starts even while the audit database is down, and
 * the writer's retry/backoff (and fail-closed `accepts`) covers opening like any other outage.
 * The chain id is fixed up front, so every reopen attempt continues the same chain.
 */
export function lazyAuditStore(config: AuditStoreConfig = auditStoreConfigFromEnv()): AuditAppender & { open(): Promise<AuditStore> } {
  const settled = { ...config, chain: config.chain ?? randomChainId() };
  let opening: Promise<AuditStore> | null = null;
  const open = () =>
    (opening ??= openAuditStore(settled).catch((err) => {
      opening = null;
      throw err;
    }));
  return {
    open,
    async append(events) {
      await (await open()).append(events);
    },
    async close() {
      const store = opening && (await opening.catch(() => null));
      opening = null;
      if (store) await store.close();
    },
  };
}

function eventToRow(e: AuditEvent, chain: string, seq: number, prevHash: string, hash: string) {
  return {
    id: e.id,
    chain,
    seq,
    time: e.time,
    request_id: e.requestId,
    subject: e.subject,
    roles: JSON.stringify(e.roles),
    client_name: e.clientName,
    client_version: e.clientVersion,
    purpose: e.purpose,
    operation_name: e.operationName,
    operation_signature: e.operationSignature,
    operation_hash: e.operationHash,
    subgraphs: JSON.stringify(e.subgraphs),
    outcome: e.outcome,
    error_codes: JSON.stringify(e.errorCodes),
    latency_ms: e.latencyMs,
    fields: JSON.stringify(e.fields),
    prev_hash: prevHash,
    hash,
  };
}

const isoTime = (v: unknown): string => (v instanceof Date ? v.toISOString() : new Date(String(v)).toISOString());

/** A stored row back to the event it was written from (throws on unreadable JSON). */
export function rowToEvent(row: any): StoredAuditEvent {
  return {
    id: row.id,
    time: isoTime(row.time),
    requestId: row.request_id,
    subject: row.subject ?? null,
    roles: JSON.parse(row.roles),
    clientName: row.client_name ?? null,
    clientVersion: row.client_version ?? null,
    purpose: row.purpose ?? null,
    operationName: row.operation_name ?? null,
    operationSignature: row.operation_signature ?? null,
    operationHash: row.operation_hash ?? null,
    fields: JSON.parse(row.fields),
    subgraphs: JSON.parse(row.subgraphs),
    outcome: row.outcome,
    errorCodes: JSON.parse(row.error_codes),
    latencyMs: Number(row.latency_ms),
    chain: row.chain,
    seq: Number(row.seq),
    prevHash: row.prev_hash,
    hash: row.hash,
  };
}

function contentOf(e: StoredAuditEvent): AuditEvent {
  const { chain: _c, seq: _s, prevHash: _p, hash: _h, ...event } = e;
  return event;
}

// ---------------------------------------------------------------------------------------------
// Verification

export interface BrokenEvent {
  /** Sequence number at which the chain breaks (for a missing tail: the first missing seq). */
  seq: number;
  /** The first event that fails, or null when the failure is a missing event or a checkpoint. */
  eventId: string | null;
  reason: string;
}

export interface ChainReport {
  chain: string;
  ok: boolean;
  /** Events checked. */
  events: number;
  /** The signed checkpoint verification started from, if the chain was pruned. */
  checkpointSeq?: number;
  lastSeq: number;
  broken?: BrokenEvent;
}

export interface VerifyReport {
  ok: boolean;
  chains: ChainReport[];
}

const PAGE = 1000;

/**
 * Checks every chain end to end: sequence numbers without gaps from 1 (or from the chain's
 * latest signed checkpoint), each `prev_hash` equal to the previous event's hash, each hash
 * equal to the recomputed one, and the chain head matching the last event. Reports the first
 * broken event per chain. `key` (MESHGATE_AUDIT_KEY) is needed to check checkpoints.
 */
export async function verify(store: AuditStore, options: { key?: string; chains?: string[] } = {}): Promise<VerifyReport> {
  const knex = store.knex;
  let chains = options.chains;
  if (!chains) {
    const names = new Set<string>();
    for (const table of ['chains', 'events', 'checkpoints']) {
      for (const row of await knex(table).distinct('chain')) names.add(row.chain);
    }
    chains = [...names].sort();
  }
  const reports: ChainReport[] = [];
  for (const chain of chains) reports.push(await verifyChain(store, chain, options.key));
  return { ok: reports.every((r) => r.ok), chains: reports };
}

async function verifyChain(store: AuditStore, chain: string, key: string | undefined): Promise<ChainReport> {
  const knex = store.knex;
  const report: ChainReport = { chain, ok: true, events: 0, lastSeq: 0 };
  const fail = (broken: BrokenEvent): ChainReport => ({ ...report, ok: false, broken });
  let expectedSeq = 1;
  let prevHash = GENESIS_HASH;

  const checkpoint = await knex('checkpoints').where({ chain }).orderBy('seq', 'desc').first();
  if (checkpoint) {
    const cpSeq = Number(checkpoint.seq);
    report.checkpointSeq = cpSeq;
    report.lastSeq = cpSeq;
    if (!key) return fail({ seq: cpSeq, eventId: null, reason: `the chain was pruned up to seq ${cpSeq}: its checkpoint cannot be checked without MESHGATE_AUDIT_KEY` });
    const mac = checkpointMac(
      { chain, seq: cpSeq, hash: checkpoint.hash, prunedBefore: isoTime(checkpoint.pruned_before), createdAt: isoTime(checkpoint.created_at) },
      key,
    );
    if (!macMatches(mac, checkpoint.mac)) return fail({ seq: cpSeq, eventId: null, reason: `checkpoint at seq ${cpSeq} has an invalid signature (forged, altered, or signed with another key)` });
    const stale = await knex('events').where({ chain }).andWhere('seq', '<=', cpSeq).orderBy('seq').first('id', 'seq');
    if (stale) return fail({ seq: Number(stale.seq), eventId: stale.id, reason: `event at seq ${stale.seq} lies at or before the checkpoint (seq ${cpSeq}): it was pruned and reinserted` });
    expectedSeq = cpSeq + 1;
    prevHash = checkpoint.hash;
  }

  const head = await knex('chains').where({ chain }).first('seq', 'hash');
  const headSeq = head ? Number(head.seq) : undefined;
  let afterSeq = expectedSeq - 1;
  let lastId: string | null = null;
  for (;;) {
    const rows = await knex('events').where({ chain }).andWhere('seq', '>', afterSeq).orderBy('seq').limit(PAGE);
    for (const row of rows) {
      const seq = Number(row.seq);
      if (seq !== expectedSeq) {
        return fail({ seq: expectedSeq, eventId: row.id, reason: `event${seq - expectedSeq > 1 ? 's' : ''} at seq ${expectedSeq}${seq - expectedSeq > 1 ? `..${seq - 1}` : ''} missing (deleted) before event ${row.id} at seq ${seq}` });
      }
      if (headSeq === undefined) return fail({ seq, eventId: row.id, reason: `the chain has no head row (chains table altered)` });
      if (seq > headSeq) return fail({ seq, eventId: row.id, reason: `event at seq ${seq} lies beyond the chain head (seq ${headSeq}): inserted` });
      if (row.prev_hash !== prevHash) {
        return fail({ seq, eventId: row.id, reason: `prev_hash does not match the hash of the event before it (seq ${seq - 1}): inserted, reordered or its predecessor altered` });
      }
      let recomputed: string;
      try {
        recomputed = eventHash({ chain, seq, prevHash, event: contentOf(rowToEvent(row)) });
      } catch (err) {
        return fail({ seq, eventId: row.id, reason: `row is unreadable (${(err as Error).message}): modified` });
      }
      if (recomputed !== row.hash) return fail({ seq, eventId: row.id, reason: `content does not match its hash: modified` });
      prevHash = row.hash;
      lastId = row.id;
      report.events += 1;
      report.lastSeq = seq;
      expectedSeq += 1;
      afterSeq = seq;
    }
    if (rows.length < PAGE) break;
  }
  if (headSeq === undefined) {
    if (report.events > 0 || checkpoint) return fail({ seq: report.lastSeq, eventId: lastId, reason: 'the chain has no head row (chains table altered)' });
    return report;
  }
  if (headSeq > report.lastSeq) {
    return fail({ seq: report.lastSeq + 1, eventId: null, reason: `events at seq ${report.lastSeq + 1}..${headSeq} missing at the end of the chain (deleted)` });
  }
  if (head.hash !== prevHash) return fail({ seq: report.lastSeq, eventId: lastId, reason: 'the chain head hash differs from the last event hash (head or last event altered)' });
  return report;
}

// ---------------------------------------------------------------------------------------------
// Retention

export interface PruneResult {
  /** Per chain pruned: the new checkpoint's seq and how many events were removed. */
  chains: { chain: string; checkpointSeq: number; removed: number }[];
  removed: number;
}

/** Refuses a missing or short signing key (`MESHGATE_AUDIT_KEY`). */
export function assertAuditKey(key: string | undefined): asserts key is string {
  if (!key) throw new MeshgateError('CONFIG_INVALID', 'MESHGATE_AUDIT_KEY is not set: pruning the audit trail needs the key that signs its checkpoints');
  if (key.length < MIN_SECRET_LENGTH) throw new MeshgateError('CONFIG_INVALID', `MESHGATE_AUDIT_KEY must be at least ${MIN_SECRET_LENGTH} characters`);
}

/**
 * Removes events older than `before`, chain by chain, keeping the rest verifiable: a chain is
 * cut after its last event such that every event up to it is older than `before`; a checkpoint
 * (that seq and hash, HMAC-signed with `signingKey`) is written in the same transaction, and
 * verification starts from it. A chain is verified first: pruning never signs over tampering.
 */
export async function prune(store: AuditStore, before: Date, signingKey: string): Promise<PruneResult> {
  assertAuditKey(signingKey);
  if (Number.isNaN(before.getTime())) throw new MeshgateError('BAD_USER_INPUT', 'prune: invalid date');
  const report = await verify(store, { key: signingKey });
  const broken = report.chains.filter((c) => !c.ok);
  if (broken.length) {
    const c = broken[0];
    throw new MeshgateError('AUDIT_TAMPERED', `refusing to prune: chain ${c.chain} is broken at seq ${c.broken!.seq}: ${c.broken!.reason}`, { chains: broken });
  }
  const result: PruneResult = { chains: [], removed: 0 };
  const cutoff = before.toISOString();
  for (const { chain, checkpointSeq } of report.chains) {
    const done = await store.knex.transaction(async (trx) => {
      const firstKept = await trx('events').where({ chain }).andWhere('time', '>=', cutoff).min({ seq: 'seq' }).first();
      const head = await trx('chains').where({ chain }).first('seq');
      const cut = firstKept?.seq != null ? Number(firstKept.seq) - 1 : Number(head?.seq ?? 0);
      if (cut <= (checkpointSeq ?? 0)) return null;
      const last = await trx('events').where({ chain, seq: cut }).first('hash');
      if (!last) return null;
      const content = { chain, seq: cut, hash: last.hash as string, prunedBefore: cutoff, createdAt: new Date().toISOString() };
      await trx('checkpoints').insert({
        chain,
        seq: cut,
        hash: content.hash,
        pruned_before: content.prunedBefore,
        created_at: content.createdAt,
        mac: checkpointMac(content, signingKey),
      });
      const ids = trx('events').where({ chain }).andWhere('seq', '<=', cut).select('id');
      await trx('field_usage').whereIn('event_id', ids).delete();
      await trx('entity_keys').whereIn('event_id', trx('events').where({ chain }).andWhere('seq', '<=', cut).select('id')).delete();
      const removed = await trx('events').where({ chain }).andWhere('seq', '<=', cut).delete();
      return { chain, checkpointSeq: cut, removed: Number(removed) };
    });
    if (done) {
      result.chains.push(done);
      result.removed += done.removed;
    }
  }
  return result;
}
