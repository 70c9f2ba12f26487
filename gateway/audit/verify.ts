import type { Knex } from 'knex';
import { checkpointMac, eventHash, GENESIS_HASH, macMatches, signedHeadMac } from './hash';
import { compareIndexRows, describeIndexMismatch, INDEX_TABLES, indexRowsOf, type IndexRows, type IndexTampering } from './index-rows';
import { contentOf, isoTime, rowToEvent, type AuditStore } from './store';

/** What kind of tampering verification found. */
export type TamperKind =
  | 'event-modified'
  | 'event-deleted'
  | 'event-inserted'
  | 'event-reordered'
  | 'head-altered'
  | 'checkpoint-forged'
  | 'checkpoint-unverifiable'
  | 'tail-truncated'
  | 'signed-head-mismatch'
  | 'signed-head-forged'
  | 'signed-head-missing'
  | IndexTampering;

export interface BrokenEvent {
  /** Sequence number at which the chain breaks (for a missing tail: the first missing seq). */
  seq: number;
  /** The first event that fails, or null when the failure is a missing event, a checkpoint or a signed head. */
  eventId: string | null;
  kind: TamperKind;
  reason: string;
}

export interface ChainReport {
  chain: string;
  ok: boolean;
  /** Events checked. */
  events: number;
  /** The signed checkpoint verification started from, if the chain was pruned. */
  checkpointSeq?: number;
  /** The seq of the chain's signed head, when it has one. */
  signedHeadSeq?: number;
  lastSeq: number;
  broken?: BrokenEvent;
  /** What could not be checked for this chain (not failures). */
  warnings: string[];
}

/** Index rows whose event is not in the trail at all. */
export interface OrphanIndexRows {
  table: (typeof INDEX_TABLES)[number];
  eventId: string;
  rows: number;
  kind: 'index-inserted';
  reason: string;
}

export interface VerifyReport {
  ok: boolean;
  chains: ChainReport[];
  /** Index rows pointing at no event (only looked for when every chain is verified). */
  orphans: OrphanIndexRows[];
  /** What this verification could not check (not failures), e.g. tail truncation without a key. */
  warnings: string[];
}

export interface VerifyOptions {
  /** MESHGATE_AUDIT_KEY: checks checkpoints and signed heads. */
  key?: string;
  /** Only these chains (and no search for orphan index rows). */
  chains?: string[];
  /** A chain with events but no signed head fails (every writer runs with the key). */
  requireSignedHeads?: boolean;
}

const PAGE = 1000;

const seqRange = (from: number, to: number) => (from === to ? `event at seq ${from}` : `events at seq ${from}..${to}`);
const MAX_ORPHANS = 10;

export const NO_KEY_WARNING =
  'MESHGATE_AUDIT_KEY is not set: tail truncation (events deleted from the end of a chain) cannot be detected, and signed heads and checkpoints cannot be checked';

/**
 * Checks every chain end to end: sequence numbers without gaps from 1 (or from the chain's
 * latest signed checkpoint), each `prev_hash` equal to the previous event's hash, each hash
 * equal to the recomputed one, each event's `field_usage` / `entity_keys` rows equal to those
 * derived from its (verified) content, the chain head matching the last event, and — with the
 * key — the signed head: no events missing after it, its hash that of the event at its seq, and
 * no event beyond it (keyed writers sign each batch, so such an event is an insertion).
 * Reads page by page. Reports the first broken event per chain, and index rows of no event.
 */
export async function verify(store: AuditStore, options: VerifyOptions = {}): Promise<VerifyReport> {
  const knex = store.knex;
  let chains = options.chains;
  if (!chains) {
    const names = new Set<string>();
    for (const table of ['chains', 'events', 'checkpoints', 'signed_heads']) {
      for (const row of await knex(table).distinct('chain')) names.add(row.chain);
    }
    chains = [...names].sort();
  }
  const reports: ChainReport[] = [];
  for (const chain of chains) reports.push(await verifyChain(knex, chain, options));
  const orphans = options.chains ? [] : await orphanIndexRows(knex);
  const warnings = options.key || reports.length === 0 ? [] : [NO_KEY_WARNING];
  return { ok: reports.every((r) => r.ok) && orphans.length === 0, chains: reports, orphans, warnings };
}

/** Index rows of events that do not exist: inserted, or left behind when their event was deleted. */
async function orphanIndexRows(knex: Knex): Promise<OrphanIndexRows[]> {
  const found: OrphanIndexRows[] = [];
  for (const table of INDEX_TABLES) {
    const rows = await knex(`${table} as x`)
      .whereNotExists(knex('events as e').select(knex.raw('1')).whereRaw('e.id = x.event_id'))
      .select('x.event_id')
      .count({ n: '*' })
      .groupBy('x.event_id')
      .orderBy('x.event_id')
      .limit(MAX_ORPHANS);
    for (const r of rows as { event_id: string; n: number | string }[]) {
      found.push({
        table,
        eventId: r.event_id,
        rows: Number(r.n),
        kind: 'index-inserted',
        reason: `${r.n} ${table} row(s) point at event ${r.event_id}, which is not in the trail: index rows inserted (or left behind by a deleted event)`,
      });
    }
  }
  return found;
}

/** The index rows stored for a page of events, by event id. */
async function storedIndexRows(knex: Knex, ids: string[]): Promise<Map<string, IndexRows>> {
  const byEvent = new Map<string, IndexRows>(ids.map((id) => [id, { field_usage: [], entity_keys: [] }]));
  for (const table of INDEX_TABLES) {
    for (const row of await knex(table).whereIn('event_id', ids)) byEvent.get(row.event_id)![table].push(row);
  }
  return byEvent;
}

async function verifyChain(knex: Knex, chain: string, options: VerifyOptions): Promise<ChainReport> {
  const { key } = options;
  const report: ChainReport = { chain, ok: true, events: 0, lastSeq: 0, warnings: [] };
  const fail = (broken: BrokenEvent): ChainReport => ({ ...report, ok: false, broken });
  let expectedSeq = 1;
  let prevHash = GENESIS_HASH;

  const checkpoint = await knex('checkpoints').where({ chain }).orderBy('seq', 'desc').first();
  if (checkpoint) {
    const cpSeq = Number(checkpoint.seq);
    report.checkpointSeq = cpSeq;
    report.lastSeq = cpSeq;
    if (!key) {
      return fail({ seq: cpSeq, eventId: null, kind: 'checkpoint-unverifiable', reason: `the chain was pruned up to seq ${cpSeq}: its checkpoint cannot be checked without MESHGATE_AUDIT_KEY` });
    }
    const mac = checkpointMac(
      { chain, seq: cpSeq, hash: checkpoint.hash, prunedBefore: isoTime(checkpoint.pruned_before), createdAt: isoTime(checkpoint.created_at) },
      key,
    );
    if (!macMatches(mac, checkpoint.mac)) {
      return fail({ seq: cpSeq, eventId: null, kind: 'checkpoint-forged', reason: `checkpoint at seq ${cpSeq} has an invalid signature (forged, altered, or signed with another key)` });
    }
    const stale = await knex('events').where({ chain }).andWhere('seq', '<=', cpSeq).orderBy('seq').first('id', 'seq');
    if (stale) {
      return fail({ seq: Number(stale.seq), eventId: stale.id, kind: 'event-inserted', reason: `event at seq ${stale.seq} lies at or before the checkpoint (seq ${cpSeq}): it was pruned and reinserted` });
    }
    expectedSeq = cpSeq + 1;
    prevHash = checkpoint.hash;
  }

  // Read before the events: whatever a live writer appends later is beyond it, never "missing".
  const signed = await knex('signed_heads').where({ chain }).first();
  const signedSeq = signed ? Number(signed.seq) : undefined;
  if (signed) {
    report.signedHeadSeq = signedSeq;
    if (key) {
      const mac = signedHeadMac({ chain, seq: signedSeq!, hash: signed.hash, signedAt: isoTime(signed.signed_at) }, key);
      if (!macMatches(mac, signed.mac)) {
        return fail({ seq: signedSeq!, eventId: null, kind: 'signed-head-forged', reason: `the signed head at seq ${signedSeq} has an invalid signature (forged, altered, or signed with another key)` });
      }
      if (signedSeq === report.checkpointSeq && signed.hash !== prevHash) {
        return fail({ seq: signedSeq!, eventId: null, kind: 'signed-head-mismatch', reason: `the signed head's hash differs from the checkpoint at seq ${signedSeq}: the chain was rewritten` });
      }
    }
  }

  let head = await knex('chains').where({ chain }).first('seq', 'hash');
  let afterSeq = expectedSeq - 1;
  let lastId: string | null = null;
  for (;;) {
    const rows = await knex('events').where({ chain }).andWhere('seq', '>', afterSeq).orderBy('seq').limit(PAGE);
    if (rows.length === 0) break;
    const index = await storedIndexRows(knex, rows.map((r) => r.id));
    for (const row of rows) {
      const seq = Number(row.seq);
      if (seq !== expectedSeq) {
        const many = seq - expectedSeq > 1;
        return fail({ seq: expectedSeq, eventId: row.id, kind: 'event-deleted', reason: `event${many ? 's' : ''} at seq ${expectedSeq}${many ? `..${seq - 1}` : ''} missing (deleted) before event ${row.id} at seq ${seq}` });
      }
      if (!head) return fail({ seq, eventId: row.id, kind: 'head-altered', reason: `the chain has no head row (chains table altered)` });
      // A live writer may have appended since the head was read: read it again before calling this an insertion.
      if (seq > Number(head.seq)) head = (await knex('chains').where({ chain }).first('seq', 'hash')) ?? head;
      if (seq > Number(head.seq)) return fail({ seq, eventId: row.id, kind: 'event-inserted', reason: `event at seq ${seq} lies beyond the chain head (seq ${head.seq}): inserted` });
      if (row.prev_hash !== prevHash) {
        return fail({ seq, eventId: row.id, kind: 'event-reordered', reason: `prev_hash does not match the hash of the event before it (seq ${seq - 1}): inserted, reordered or its predecessor altered` });
      }
      let event;
      try {
        event = contentOf(rowToEvent(row));
      } catch (err) {
        return fail({ seq, eventId: row.id, kind: 'event-modified', reason: `row is unreadable (${(err as Error).message}): modified` });
      }
      if (eventHash({ chain, seq, prevHash, event }) !== row.hash) return fail({ seq, eventId: row.id, kind: 'event-modified', reason: `content does not match its hash: modified` });
      const mismatch = compareIndexRows(indexRowsOf(event), index.get(row.id)!);
      if (mismatch) return fail({ seq, eventId: row.id, kind: mismatch.kind, reason: describeIndexMismatch(mismatch) });
      if (key && seq === signedSeq && row.hash !== signed.hash) {
        return fail({ seq, eventId: row.id, kind: 'signed-head-mismatch', reason: `the signed head at seq ${seq} names another hash than this event's: the chain was rewritten from here or before` });
      }
      prevHash = row.hash;
      lastId = row.id;
      report.events += 1;
      report.lastSeq = seq;
      expectedSeq += 1;
      afterSeq = seq;
    }
  }

  if (!head) {
    if (report.events > 0 || checkpoint) return fail({ seq: report.lastSeq, eventId: lastId, kind: 'head-altered', reason: 'the chain has no head row (chains table altered)' });
  } else {
    const headSeq = Number(head.seq);
    if (headSeq > report.lastSeq) {
      return fail({ seq: report.lastSeq + 1, eventId: null, kind: 'event-deleted', reason: `events at seq ${report.lastSeq + 1}..${headSeq} missing at the end of the chain (deleted)` });
    }
    if (head.hash !== prevHash) return fail({ seq: report.lastSeq, eventId: lastId, kind: 'head-altered', reason: 'the chain head hash differs from the last event hash (head or last event altered)' });
  }

  if (key && signedSeq !== undefined && signedSeq > report.lastSeq) {
    return fail({
      seq: report.lastSeq + 1,
      eventId: null,
      kind: 'tail-truncated',
      reason: `${seqRange(report.lastSeq + 1, signedSeq)} missing from the end of the chain: its signed head (signed ${isoTime(signed.signed_at)}) is at seq ${signedSeq}, the last event at seq ${report.lastSeq} (deleted)`,
    });
  }
  if (key && report.events > 0) {
    if (signedSeq === undefined) {
      const reason = 'the chain has no signed head: written without MESHGATE_AUDIT_KEY (or its signed head was deleted), so tail truncation cannot be detected';
      if (options.requireSignedHeads) return fail({ seq: report.lastSeq, eventId: lastId, kind: 'signed-head-missing', reason });
      report.warnings.push(reason);
    } else if (signedSeq < report.lastSeq) {
      // A keyed writer signs its head in the transaction that appends the events, so every event
      // it committed before the scan is covered by the head as it is now. Re-read it (a live writer
      // may have appended and signed meanwhile); whatever it still leaves out was not appended by a
      // keyed writer: inserted at the end (with the unsigned `chains` row moved along), or written
      // by a replica that ran without the key on this chain. Either way nothing vouches for it.
      const now = await knex('signed_heads').where({ chain }).first();
      const nowSeq = now ? Number(now.seq) : 0;
      if (now && (nowSeq !== signedSeq || now.hash !== signed.hash)) {
        const mac = signedHeadMac({ chain, seq: nowSeq, hash: now.hash, signedAt: isoTime(now.signed_at) }, key);
        if (!macMatches(mac, now.mac)) {
          return fail({ seq: nowSeq, eventId: null, kind: 'signed-head-forged', reason: `the signed head at seq ${nowSeq} has an invalid signature (forged, altered, or signed with another key)` });
        }
        report.signedHeadSeq = nowSeq;
        if (nowSeq === report.lastSeq && now.hash !== prevHash) {
          return fail({ seq: nowSeq, eventId: lastId, kind: 'signed-head-mismatch', reason: `the signed head at seq ${nowSeq} names another hash than this event's: the chain was rewritten from here or before` });
        }
      }
      if (nowSeq < report.lastSeq) {
        const first = await knex('events').where({ chain, seq: nowSeq + 1 }).first('id');
        return fail({
          seq: nowSeq + 1,
          eventId: first?.id ?? null,
          kind: 'event-inserted',
          reason: `${seqRange(nowSeq + 1, report.lastSeq)} beyond the chain's signed head (seq ${nowSeq}): a keyed writer signs every batch it appends, so these were inserted (or appended by a writer without MESHGATE_AUDIT_KEY)`,
        });
      }
    }
  }
  return report;
}
