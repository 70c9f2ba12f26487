import type { GraphQLSchema } from 'graphql';
import type { Policy } from '../../../policies/types';
import type { Logger } from '../../../shared/logger';
import { governedEndpoint, type EndpointFactory } from '../../governed-endpoint';
import type { LoadedSupergraph } from '../../plugins/types';
import type { AuditStore } from '../store';
import type { AuditSink } from '../types';
import { auditApiRoot, auditApiSchema, type AuditApiContext } from './schema';

/** Builds the `POST /audit/graphql` handler for one gateway. */
export type AuditApiFactory = EndpointFactory;

export interface AuditApiOptions {
  /** The audit store to read (opened on first use, e.g. `lazyAuditStore(…).open`). */
  store(): Promise<AuditStore>;
  /** Where the API's own events go: the gateway's audit sink. */
  sink: AuditSink;
  /** The gateway's policy: every field requires its named rule `audit:read` (and clearance for INTERNAL). */
  policy: Policy;
  /** MESHGATE_AUDIT_KEY, for `chainStatus` on pruned chains (default the environment's). */
  auditKey?: string;
  logger?: Logger;
}

/** Every coordinate `Type.field` of the API schema's object and interface types. */
export function coordinatesOf(schema: GraphQLSchema): string[] {
  const out: string[] = [];
  for (const type of Object.values(schema.getTypeMap())) {
    if (type.name.startsWith('__') || !('getFields' in type) || !('getInterfaces' in type)) continue;
    for (const field of Object.keys(type.getFields())) out.push(`${type.name}.${field}`);
  }
  return out.sort();
}

/**
 * The auditor API, `POST /audit/graphql`: the audit trail's queries (gateway/audit/queries.ts) as a
 * small GraphQL schema of its own, governed like every endpoint of the gateway (see
 * governed-endpoint.ts): every root field is INTERNAL with `@policy(policies: [["audit:read"]])`,
 * so only auditors pass (403 FORBIDDEN otherwise, admins included), and every request is audited.
 */
export function auditApi(options: AuditApiOptions): AuditApiFactory {
  const auditKey = options.auditKey ?? (process.env.MESHGATE_AUDIT_KEY || undefined);
  // The supergraph's coordinates, listed once per loaded supergraph (for unusedFields).
  let coordinates: { of: LoadedSupergraph; list: string[] } | undefined;
  const coordinatesOfLoaded = (loaded: LoadedSupergraph | undefined) => {
    if (!loaded) return [];
    if (coordinates?.of !== loaded) coordinates = { of: loaded, list: coordinatesOf(loaded.apiSchema) };
    return coordinates.list;
  };
  return governedEndpoint<AuditApiContext>({
    name: 'the auditor API',
    schema: auditApiSchema(),
    rootValue: auditApiRoot,
    contextValue: (host) => ({ store: options.store, coordinates: () => coordinatesOfLoaded(host.supergraph()), auditKey }),
    rootField: { level: 'INTERNAL', requirements: { authenticated: true, scopes: [], policies: [['audit:read']] } },
    forbidden: 'the auditor API requires the policy "audit:read" (role auditor)',
    policy: options.policy,
    sink: options.sink,
    logger: options.logger,
  });
}
