import { randomBytes } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import type { Knex } from 'knex';
import { createDb, insertInChunks, migrateToLatest, type Database, type Migration } from '../../shared/db';
import { MeshgateError } from '../../shared/errors';
import { extendChain, signedHead } from './chain-rows';
import { distinctNormalised, GENESIS_HASH } from './hash';
import { INDEX_TABLES } from './index-rows';
import { appendSqlite } from './sqlite-append';
import { sqliteAppendThread, type SqliteAppendThread } from './sqlite-append-thread';
import * as initial from './migrations/001_initial';
import * as signedHeads from './migrations/002_signed_heads';
import * as entityKeyDecisions from './migrations/003_entity_key_decisions';
import * as dropLevelIndex from './migrations/004_drop_level_index';
import { assertAuditKey, auditStoreConfigFromEnv, DEFAULT_AUDIT_SCHEMA } from './settings';
import type { AuditEvent } from './types';

export { assertAuditKey, auditStoreConfigFromEnv, DEFAULT_AUDIT_SCHEMA };

export const AUDIT_MIGRATIONS: Record<string, Migration> = {
  '001_initial': initial,
  '002_signed_heads': signedHeads,
  '003_entity_key_decisions': entityKeyDecisions,
  '004_drop_level_index': dropLevelIndex,
};

export interface AuditStoreConfig {
  /** `postgres://…`; absent for the embedded SQLite file. */
  url?: string;
  /** PostgreSQL schema (default `audit`). */
  schema?: string;
  /** SQLite file (default `<MESHGATE_DATA_DIR or .data>/audit.sqlite`); `:memory:` in tests. */
  sqliteFile?: string;
  /** This writer's chain id (see `AuditStore`); default `MESHGATE_REPLICA_ID` or a random id per process. */
  chain?: string;
  /** MESHGATE_AUDIT_KEY: when set, every append also signs the chain's head (see `signed_heads`). */
  signingKey?: string;
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
 * The append-only, hash-chained audit store (knex; SQLite or PostgreSQL, same rows and chain; on
 * SQLite appends run on the raw connection, see `appendSqlite`).
 *
 * Concurrency design: ONE CHAIN PER WRITER. Each store instance appends to its own chain (the
 * replica id, `MESHGATE_REPLICA_ID`, or a random id per process), with a per-chain sequence
 * number, so replicas writing to one PostgreSQL database never contend and every chain is
 * verifiable on its own. As a safety net for two processes configured with the same replica id,
 * every batch also locks its chain's head row (`SELECT … FOR UPDATE` on `chains`) inside the
 * batch transaction: appends to one chain are serialised, never forked; `UNIQUE (chain, seq)`
 * backs that up. (SQLite has a single writer connection, so transactions are serial anyway.)
 *
 * With a signing key, each batch also upserts its chain's signed head (seq, hash, time, HMAC) in
 * the same transaction: one row per chain, so replicas still never touch each other's rows.
 *
 * A SQLite file store appends on a thread of its own (`appendThread`), off the event loop.
 */
export class AuditStore implements AuditAppender {
  constructor(
    readonly db: Database,
    readonly chain: string,
    private readonly signingKey?: string,
    private readonly appendThread?: SqliteAppendThread,
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
    // The thread normalises the batch itself: that work leaves the event loop too.
    if (this.appendThread) return this.appendThread.append(events);
    const batch = distinctNormalised(events);
    if (this.db.dialect === 'sqlite') return appendSqlite(this.db, this.chain, batch, this.signingKey);
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
      const { eventRows, index, seq, hash: prevHash } = extendChain(this.chain, head, fresh);
      await insertInChunks(trx, 'events', eventRows);
      for (const table of INDEX_TABLES) await insertInChunks(trx, table, index[table]);
      await trx('chains').where({ chain: this.chain }).update({ seq, hash: prevHash });
      if (this.signingKey) {
        const signed = signedHead(this.chain, seq, prevHash, this.signingKey);
        await trx('signed_heads').insert(signed).onConflict('chain').merge();
      }
    });
  }

  async close(): Promise<void> {
    await this.appendThread?.close();
    await this.db.close();
  }
}

/**
 * Migrates with a PostgreSQL session advisory lock held on one connection: replicas migrating an
 * empty schema at once can otherwise both insert knex's lock row, after which every migration
 * reports "Migration table is already locked" for good.
 */
async function migrateSerialised(db: Database): Promise<void> {
  if (db.dialect !== 'postgres') return migrateToLatest(db, AUDIT_MIGRATIONS);
  const key = `meshgate-audit:${db.schema ?? ''}`;
  const conn = await db.knex.client.acquireConnection();
  try {
    await conn.query('SELECT pg_advisory_lock(hashtext($1))', [key]);
    try {
      await migrateToLatest(db, AUDIT_MIGRATIONS);
    } finally {
      await conn.query('SELECT pg_advisory_unlock(hashtext($1))', [key]);
    }
  } finally {
    await db.knex.client.releaseConnection(conn);
  }
}

/** Opens (and migrates) the audit store. Pass `db` to use an existing connection (tests). */
export async function openAuditStore(config: AuditStoreConfig & { db?: Database } = auditStoreConfigFromEnv()): Promise<AuditStore> {
  const sqliteFile = config.db || config.url ? undefined : (config.sqliteFile ?? auditStoreConfigFromEnv().sqliteFile);
  const db = config.db ?? (config.url ? createDb({ url: config.url, schema: config.schema ?? DEFAULT_AUDIT_SCHEMA }) : createDb({ sqliteFile }));
  try {
    // Replicas starting together race on CREATE SCHEMA and knex's migration lock: retry a little.
    for (let attempt = 1; ; attempt++) {
      try {
        await migrateSerialised(db);
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
  const chain = config.chain ?? randomChainId();
  // The thread starts with the first append: stores opened only to read never start it.
  const thread = sqliteFile && sqliteFile !== ':memory:' ? sqliteAppendThread({ file: path.resolve(sqliteFile), chain, signingKey: config.signingKey }) : undefined;
  return new AuditStore(db, chain, config.signingKey, thread);
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

export const isoTime = (v: unknown): string => (v instanceof Date ? v.toISOString() : new Date(String(v)).toISOString());

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

/** The event content a stored event's hash covers (without its place in the chain). */
export function contentOf(e: StoredAuditEvent): AuditEvent {
  const { chain: _c, seq: _s, prevHash: _p, hash: _h, ...event } = e;
  return event;
}
