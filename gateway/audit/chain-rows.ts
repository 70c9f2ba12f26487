import { canonicalEventJson, chainedEventHash, signedHeadMac } from './hash';
import { INDEX_TABLES, indexRowsOf, type IndexRows } from './index-rows';
import type { AuditEvent } from './types';

// The rows an append writes, the same for both engines: the hash chain is computed here only.

/** The chain extended by `fresh` (normalised events) from its head: event rows, their index rows, and the new head. */
export function extendChain(chain: string, head: { seq: unknown; hash: string }, fresh: AuditEvent[]) {
  let seq = Number(head.seq);
  let prevHash = head.hash;
  const eventRows: ReturnType<typeof eventToRow>[] = [];
  const index: IndexRows = { field_usage: [], entity_keys: [] };
  for (const event of fresh) {
    seq += 1;
    // One serialisation of the fields for both the hash and the stored column.
    const fieldsJson = JSON.stringify(event.fields);
    const hash = chainedEventHash(chain, seq, prevHash, canonicalEventJson(event, fieldsJson));
    eventRows.push(eventToRow(event, chain, seq, prevHash, hash, fieldsJson));
    prevHash = hash;
    const rows = indexRowsOf(event);
    for (const table of INDEX_TABLES) index[table].push(...rows[table]);
  }
  return { eventRows, index, seq, hash: prevHash };
}

/** The `signed_heads` row for a chain's head (see `signedHeadMac`). */
export function signedHead(chain: string, seq: number, hash: string, signingKey: string) {
  const signedAt = new Date().toISOString();
  return { chain, seq, hash, signed_at: signedAt, mac: signedHeadMac({ chain, seq, hash, signedAt }, signingKey) };
}

export function eventToRow(e: AuditEvent, chain: string, seq: number, prevHash: string, hash: string, fieldsJson = JSON.stringify(e.fields)) {
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
    fields: fieldsJson,
    prev_hash: prevHash,
    hash,
  };
}
