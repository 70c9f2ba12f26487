import { MeshgateError } from '../../shared/errors';
import { checkpointMac } from './hash';
import { assertAuditKey } from './settings';
import type { AuditStore } from './store';
import { verify } from './verify';

export interface PruneResult {
  /** Per chain pruned: the new checkpoint's seq and how many events were removed. */
  chains: { chain: string; checkpointSeq: number; removed: number }[];
  removed: number;
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
  if (report.orphans.length) {
    throw new MeshgateError('AUDIT_TAMPERED', `refusing to prune: ${report.orphans[0].reason}`, { orphans: report.orphans });
  }
  const result: PruneResult = { chains: [], removed: 0 };
  const cutoff = before.toISOString();
  for (const { chain, checkpointSeq } of report.chains) {
    const done = await store.knex.transaction(async (trx) => {
      // A write first: on SQLite a transaction that reads and then writes fails at once while
      // another connection (a gateway's append thread) is writing; a first write waits for it.
      // On PostgreSQL it locks the chain's head row, as each append does.
      await trx('chains').where({ chain }).update({ seq: trx.raw('??', ['seq']) });
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
