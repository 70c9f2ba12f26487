import { buildSchema, type GraphQLSchema } from 'graphql';
import { MeshgateError } from '../../../shared/errors';
import { clientsOfFields, fieldUsageByDay, queryEvents, subjectAccess, unusedFields, type Decision } from '../queries';
import type { AuditStore, StoredAuditEvent } from '../store';
import { verify } from '../verify';
import type { Level } from '../../../shared/classification';

/** The auditor API's schema: read-only views over the audit store (gateway/audit/queries.ts). */
export const AUDIT_API_SDL = /* GraphQL */ `
schema { query: AuditQuery }

"""The audit trail, for auditors: every field is INTERNAL and requires the policy "audit:read"."""
type AuditQuery {
  """Events matching every filter, newest first; \`first\` is 1..1000 (default 100), \`after\` a previous page's \`endCursor\`."""
  auditEvents(filter: AuditEventFilter, first: Int = 100, after: String): AuditEventConnection!
  """Field usage per coordinate per client per day (UTC); \`from\` inclusive, \`to\` exclusive (ISO 8601)."""
  fieldUsage(from: String, to: String, coordinate: String, client: String): [FieldUsageDay!]!
  """Who has seen this entity's personal data (e.g. a customer id), newest first, over the last \`days\` days."""
  subjectAccess(entityKey: String!, days: Int = 90): [SubjectAccess!]!
  """Coordinates of the current supergraph no operation used in the last \`days\` days."""
  unusedFields(days: Int = 30): [String!]!
  """Which clients used a field in the last \`days\` days, most events first."""
  fieldUsers(coordinate: String!, days: Int = 30): [ClientUsage!]!
  """Hash-chain verification, per chain."""
  chainStatus: ChainStatus!
}

input AuditEventFilter {
  subject: String
  client: String
  """A field coordinate \`Type.field\` the event used; \`level\` and \`decision\` apply to that same field."""
  coordinate: String
  level: String
  decision: String
  """ISO 8601, inclusive."""
  from: String
  """ISO 8601, exclusive."""
  to: String
}

type AuditEventConnection {
  nodes: [AuditEvent!]!
  pageInfo: PageInfo!
}

type PageInfo {
  hasNextPage: Boolean!
  endCursor: String
}

type AuditEvent {
  id: ID!
  time: String!
  requestId: String!
  subject: String
  roles: [String!]!
  clientName: String
  clientVersion: String
  purpose: String
  operationName: String
  operationSignature: String
  operationHash: String
  fields: [AuditFieldUse!]!
  subgraphs: [String!]!
  outcome: String!
  errorCodes: [String!]!
  latencyMs: Float!
  chain: String!
  seq: Int!
  hash: String!
}

type AuditFieldUse {
  coordinate: String!
  level: String!
  category: String
  decision: String!
  values: Int!
  entityKeys: [String!]
}

type FieldUsageDay {
  day: String!
  coordinate: String!
  client: String
  events: Int!
  values: Int!
  allowed: Int!
  masked: Int!
  denied: Int!
}

type SubjectAccess {
  eventId: ID!
  time: String!
  subject: String
  client: String
  purpose: String
  coordinates: [String!]!
  """The same fields with their decision: \`masked\` (a mask left, not the value) or \`allowed\` (the value itself; \`denied\` in dry-run mode, which does not enforce)."""
  fields: [SubjectAccessField!]!
}

type SubjectAccessField {
  coordinate: String!
  decision: String!
}

type ClientUsage {
  client: String
  events: Int!
  values: Int!
  lastUsed: String!
}

type ChainStatus {
  ok: Boolean!
  chains: [ChainReport!]!
  """Index rows (field usage, entity keys) that point at no event: each one fails verification."""
  orphanIndexRows: [String!]!
  """What could not be checked (not failures): e.g. tail truncation without MESHGATE_AUDIT_KEY."""
  warnings: [String!]!
}

type ChainReport {
  chain: String!
  ok: Boolean!
  events: Int!
  lastSeq: Int!
  checkpointSeq: Int
  brokenAtSeq: Int
  brokenEventId: String
  """The kind of tampering, e.g. event-modified, index-deleted, tail-truncated, signed-head-forged."""
  kind: String
  reason: String
  """The seq of the chain's signed head, when it has one."""
  signedHeadSeq: Int
  warnings: [String!]!
}
`;

/** What the resolvers need, per request. */
export interface AuditApiContext {
  store(): Promise<AuditStore>;
  /** Coordinates of the supergraph the gateway serves now (empty before it loaded). */
  coordinates(): string[];
  /** MESHGATE_AUDIT_KEY, to check retention checkpoints. */
  auditKey?: string;
}

const DAY_MS = 86_400_000;

function date(value: string | null | undefined, name: string): Date | undefined {
  if (value === null || value === undefined) return undefined;
  const d = new Date(value);
  if (Number.isNaN(d.getTime())) throw new MeshgateError('BAD_USER_INPUT', `${name}: invalid date ${JSON.stringify(value)}`);
  return d;
}

function daysAgo(days: number): Date {
  if (!Number.isInteger(days) || days < 1) throw new MeshgateError('BAD_USER_INPUT', `days must be a positive integer, got ${days}`);
  return new Date(Date.now() - days * DAY_MS);
}

const eventView = (e: StoredAuditEvent) => ({
  ...e,
  fields: e.fields.map((f) => ({ ...f, level: f.classification.level, category: f.classification.category ?? null })),
});

type Args = Record<string, any>;

/** Root resolvers (graphql-js `rootValue`): each delegates to a query of gateway/audit/queries.ts or store.ts. */
export const auditApiRoot = {
  async auditEvents({ filter = {}, first, after }: Args, ctx: AuditApiContext) {
    const page = await queryEvents(await ctx.store(), {
      subject: filter.subject ?? undefined,
      client: filter.client ?? undefined,
      field: filter.coordinate ?? undefined,
      level: (filter.level ?? undefined) as Level | undefined,
      decision: (filter.decision ?? undefined) as Decision | undefined,
      since: date(filter.from, 'from'),
      until: date(filter.to, 'to'),
      limit: first ?? undefined,
      cursor: after ?? undefined,
    });
    return { nodes: page.events.map(eventView), pageInfo: { hasNextPage: page.nextCursor !== null, endCursor: page.nextCursor } };
  },
  async fieldUsage({ from, to, coordinate, client }: Args, ctx: AuditApiContext) {
    return fieldUsageByDay(await ctx.store(), { since: date(from, 'from'), until: date(to, 'to'), coordinate: coordinate ?? undefined, client: client ?? undefined });
  },
  async subjectAccess({ entityKey, days }: Args, ctx: AuditApiContext) {
    return subjectAccess(await ctx.store(), entityKey, { since: daysAgo(days) });
  },
  async unusedFields({ days }: Args, ctx: AuditApiContext) {
    return unusedFields(await ctx.store(), ctx.coordinates(), { since: daysAgo(days) });
  },
  async fieldUsers({ coordinate, days }: Args, ctx: AuditApiContext) {
    return clientsOfFields(await ctx.store(), [coordinate], daysAgo(days));
  },
  async chainStatus(_args: Args, ctx: AuditApiContext) {
    const report = await verify(await ctx.store(), { key: ctx.auditKey });
    return {
      ok: report.ok,
      chains: report.chains.map((c) => ({
        chain: c.chain,
        ok: c.ok,
        events: c.events,
        lastSeq: c.lastSeq,
        checkpointSeq: c.checkpointSeq ?? null,
        brokenAtSeq: c.broken?.seq ?? null,
        brokenEventId: c.broken?.eventId ?? null,
        kind: c.broken?.kind ?? null,
        reason: c.broken?.reason ?? null,
        signedHeadSeq: c.signedHeadSeq ?? null,
        warnings: c.warnings,
      })),
      orphanIndexRows: report.orphans.map((o) => o.reason),
      warnings: [...report.warnings, ...report.chains.flatMap((c) => c.warnings.map((w) => `chain ${c.chain}: ${w}`))],
    };
  },
};

let schema: GraphQLSchema | undefined;
export function auditApiSchema(): GraphQLSchema {
  return (schema ??= buildSchema(AUDIT_API_SDL));
}
