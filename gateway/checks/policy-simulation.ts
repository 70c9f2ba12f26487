import type { Decision, FieldInfo, Policy } from '../../policies/types';
import type { Principal } from '../../shared/principal';
import type { StoredAuditEvent } from '../audit/store';
import type { AuditFieldUse } from '../audit/types';
import { noRequirements } from '../authorization/requirements';
import type { FieldCatalog } from '../authorization/plan';

/** One field whose decision the proposed policy changes for one recorded operation. */
export interface AccessChange {
  coordinate: string;
  from: Decision;
  to: Decision;
}

/** One kind of recorded operation (same client, operation, roles and purpose) and what it would gain or lose. */
export interface OperationImpact {
  client: string | null;
  operation: string | null;
  /** sha256 of the literal-free operation signature: tells apart two operations of one name. */
  operationHash: string | null;
  roles: string[];
  purpose: string | null;
  /** Recorded events of this operation since the start of the replay. */
  events: number;
  /** Fields decided less openly (allow → mask or deny, mask → deny). */
  lost: AccessChange[];
  /** Fields decided more openly. */
  gained: AccessChange[];
}

export interface PolicySimulation {
  /** Events replayed. */
  events: number;
  /** Only the operations whose access changes, most events first. */
  operations: OperationImpact[];
  /** Whether any recorded operation would be decided differently. */
  changed: boolean;
}

const RANK: Record<Decision, number> = { deny: 0, mask: 1, allow: 2 };

/**
 * The principal an event records. Scopes, granted purposes and attributes are not recorded: the
 * replay has no scopes and grants the recorded purpose, for both policies alike, so what differs
 * is the policy's doing.
 */
export function principalOfEvent(event: StoredAuditEvent): Principal {
  return {
    subject: event.subject,
    roles: [...event.roles],
    scopes: [],
    grantedPurposes: event.purpose ? [event.purpose] : [],
    purpose: event.purpose,
    client: { name: event.clientName, version: event.clientVersion },
    attributes: {},
  };
}

/** What the policies see of a recorded field: today's catalog entry, else what the event recorded. */
function fieldInfo(catalog: FieldCatalog, use: AuditFieldUse): FieldInfo {
  const known = catalog(use.coordinate);
  if (known) return known;
  const dot = use.coordinate.indexOf('.');
  return { coordinate: use.coordinate, typeName: use.coordinate.slice(0, dot), fieldName: use.coordinate.slice(dot + 1), classification: use.classification, requirements: noRequirements() };
}

/**
 * Replays the field sets of recorded operations against the current and the proposed policy:
 * each field of each event decided by both (field arguments are not recorded, so rules that read
 * them see none). Decisions are cached per principal key and field, as the gateway caches them.
 */
export async function simulatePolicy(events: AsyncIterable<StoredAuditEvent>, current: Policy, proposed: Policy, catalog: FieldCatalog): Promise<PolicySimulation> {
  const decided = new Map<string, [Decision, Decision]>();
  const impacts = new Map<string, OperationImpact & { seen: Set<string> }>();
  let count = 0;
  for await (const event of events) {
    count += 1;
    const principal = principalOfEvent(event);
    const key = current.principalKey(principal);
    const changes: AccessChange[] = [];
    for (const use of event.fields) {
      const cacheKey = `${key} ${use.coordinate}`;
      let pair = decided.get(cacheKey);
      if (!pair) {
        const field = fieldInfo(catalog, use);
        pair = [(await current.decide(principal, field)).decision, (await proposed.decide(principal, field)).decision];
        decided.set(cacheKey, pair);
      }
      if (pair[0] !== pair[1]) changes.push({ coordinate: use.coordinate, from: pair[0], to: pair[1] });
    }
    const roles = [...new Set(event.roles)].sort();
    const group = JSON.stringify([event.clientName, event.operationName, event.operationHash, roles, event.purpose]);
    const impact = impacts.get(group) ?? {
      client: event.clientName,
      operation: event.operationName,
      operationHash: event.operationHash,
      roles,
      purpose: event.purpose,
      events: 0,
      lost: [],
      gained: [],
      seen: new Set<string>(),
    };
    impact.events += 1;
    for (const change of changes) {
      if (impact.seen.has(change.coordinate)) continue;
      impact.seen.add(change.coordinate);
      (RANK[change.to] < RANK[change.from] ? impact.lost : impact.gained).push(change);
    }
    impacts.set(group, impact);
  }
  const operations = [...impacts.values()]
    .filter((i) => i.lost.length || i.gained.length)
    .map(({ seen: _seen, ...impact }) => ({
      ...impact,
      lost: impact.lost.sort((a, b) => a.coordinate.localeCompare(b.coordinate)),
      gained: impact.gained.sort((a, b) => a.coordinate.localeCompare(b.coordinate)),
    }))
    .sort((a, b) => b.events - a.events || String(a.client).localeCompare(String(b.client)) || String(a.operation).localeCompare(String(b.operation)));
  return { events: count, operations, changed: operations.length > 0 };
}
