import { createHash, randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { execute, GraphQLError, Kind, parse, validate, type DocumentNode, type GraphQLSchema, type OperationDefinitionNode } from 'graphql';
import type { FieldInfo, Policy } from '../policies/types';
import type { Level } from '../shared/classification';
import { MeshgateError } from '../shared/errors';
import { HttpError, NO_STORE, readBody, sendJson, type RouteHandler } from '../shared/http';
import type { Logger } from '../shared/logger';
import { ANONYMOUS, isAnonymous } from '../shared/principal';
import { auditEventId } from './audit/event-id';
import { createSignatureCache } from './audit/operation-signature';
import type { AuditEvent, AuditFieldUse, AuditOutcome, AuditSink } from './audit/types';
import { unauthenticated } from './auth/refusals';
import type { GatewayContext, LoadedSupergraph } from './plugins/types';
import type { SupergraphSubgraph } from './supergraph';

/** What the gateway gives an endpoint beside `/graphql` (the auditor API, the catalog API). */
export interface EndpointHost {
  /** Runs the pipeline's `prepareContext` steps (authenticate: sets `context.principal`); throws a GraphQLError to refuse. */
  prepareContext(req: IncomingMessage, context: GatewayContext): Promise<void>;
  /** The supergraph the gateway serves, once loaded. */
  supergraph(): LoadedSupergraph | undefined;
  /** The subgraphs the gateway routes to, with the URLs it actually uses. */
  subgraphs(): SupergraphSubgraph[];
}

/** Builds one such endpoint's route handler for one gateway. */
export type EndpointFactory = (host: EndpointHost) => RouteHandler;

export interface GovernedEndpointOptions<C> {
  /** Shown in messages and logs, e.g. "the auditor API". */
  name: string;
  schema: GraphQLSchema;
  /** Root resolvers (graphql-js `rootValue`). */
  rootValue: Record<string, unknown>;
  /** Per-request context for the resolvers. */
  contextValue(host: EndpointHost, context: GatewayContext): C;
  /** Every root field's classification and access requirements, decided by the gateway's policy. */
  rootField: { level: Level; requirements: FieldInfo['requirements'] };
  /** The refusal's message when the policy denies a root field. */
  forbidden: string;
  policy: Policy;
  /** Where the endpoint's own audit events go: the gateway's audit sink. */
  sink: AuditSink;
  logger?: Logger;
}

const MAX_BODY_BYTES = 256 * 1024;
const now = () => performance.timeOrigin + performance.now();
const header = (value: string | string[] | undefined) => (Array.isArray(value) ? value[0] : value) ?? null;

class Refusal extends HttpError {
  constructor(
    status: number,
    code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(status, code, message);
  }
}

/** The refusal a `prepareContext` step threw (UNAUTHENTICATED 401, FORBIDDEN 403, …). */
function refusalOf(err: unknown): Refusal {
  const ext = (err as { extensions?: { code?: unknown; http?: { status?: number; headers?: Map<string, string> } } }).extensions;
  if (typeof ext?.code !== 'string') throw err;
  const headers = Object.fromEntries(ext.http?.headers ?? []);
  return new Refusal(ext.http?.status ?? 400, ext.code, (err as Error).message, headers);
}

function operationOf(document: DocumentNode, operationName: string | null): OperationDefinitionNode | undefined {
  const ops = document.definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
  return operationName ? ops.find((o) => o.name?.value === operationName) : ops.length === 1 ? ops[0] : undefined;
}

/** The root fields an operation selects, as `Root.field` (introspection fields aside). */
function rootCoordinates(root: string, operation: OperationDefinitionNode | undefined): string[] {
  const names = new Set<string>();
  for (const s of operation?.selectionSet.selections ?? []) if (s.kind === Kind.FIELD && !s.name.value.startsWith('__')) names.add(`${root}.${s.name.value}`);
  return [...names];
}

/** How many values a root field returned: list items, a connection's nodes, else 1 when not null. */
function countValues(value: unknown): number {
  if (value === null || value === undefined) return 0;
  if (Array.isArray(value)) return value.length;
  const nodes = (value as { nodes?: unknown }).nodes;
  return Array.isArray(nodes) ? nodes.length : 1;
}

/**
 * A small GraphQL API of the gateway's own (`POST`, JSON) governed like `/graphql`: callers
 * authenticate through the pipeline's authenticate step and anonymous callers are refused; every
 * root field is decided by the gateway's policy before anything is parsed further (403 FORBIDDEN);
 * every request, refused or not, appends one AuditEvent to the gateway's sink; resolver failures
 * reach callers as codes, never as internal messages.
 */
export function governedEndpoint<C>(options: GovernedEndpointOptions<C>): EndpointFactory {
  const signatures = createSignatureCache(1000);
  const root = options.schema.getQueryType()!.name;
  // Decided when an operation selects no root field we know (e.g. it does not parse).
  const firstRoot = `${root}.${Object.keys(options.schema.getQueryType()!.getFields())[0]}`;
  const fieldInfo = (coordinate: string): FieldInfo => ({
    coordinate,
    typeName: root,
    fieldName: coordinate.slice(root.length + 1),
    classification: { level: options.rootField.level },
    requirements: options.rootField.requirements,
  });

  return (host) => async (req: IncomingMessage, res: ServerResponse) => {
    const receivedAt = now();
    const context: GatewayContext = { requestId: randomUUID(), receivedAt, principal: ANONYMOUS, state: {} };
    let operationName: string | null = null;
    let signature: { signature: string; hash: string } | null = null;
    let fields: AuditFieldUse[] = [];
    let outcome: AuditOutcome = 'rejected';
    let errorCodes: string[] = [];
    /** `sink.admit` holds a queue slot for this request's event. */
    let reserved = false;
    let status = 200;
    let body: unknown;
    const headers: Record<string, string> = {};
    try {
      if (req.method !== 'POST') throw new Refusal(405, 'METHOD_NOT_ALLOWED', `${options.name} accepts POST only`, { allow: 'POST' });
      const text = (await readBody(req, MAX_BODY_BYTES)).toString('utf8');
      try {
        await host.prepareContext(req, context);
      } catch (err) {
        throw refusalOf(err);
      }
      // The gateway may serve anonymous callers PUBLIC data; these APIs are never public.
      if (isAnonymous(context.principal)) throw refusalOf(unauthenticated('MISSING_TOKEN', `${options.name} requires a bearer token (Authorization: Bearer <token>)`));
      let request: { query?: unknown; variables?: unknown; operationName?: unknown };
      try {
        request = JSON.parse(text);
      } catch {
        throw new Refusal(400, 'BAD_REQUEST', 'request body is not valid JSON');
      }
      if (typeof request?.query !== 'string') throw new Refusal(400, 'BAD_REQUEST', 'the body must be {"query": "…"}');
      operationName = typeof request.operationName === 'string' ? request.operationName : null;
      const source = request.query;
      let document: DocumentNode | undefined;
      try {
        document = parse(source, { noLocation: true });
      } catch {
        document = undefined;
      }
      const operation = document && operationOf(document, operationName);
      operationName ??= operation?.name?.value ?? null;
      signature = signatures.get(createHash('sha256').update(source).digest('hex'), operationName, source, document);
      const roots = rootCoordinates(root, operation);
      // Decide before revealing anything, even a syntax error: unknown callers learn nothing of the schema.
      const decisions = await Promise.all((roots.length ? roots : [firstRoot]).map((c) => options.policy.decide(context.principal, fieldInfo(c))));
      const denied = decisions.some((d) => d.decision !== 'allow');
      fields = roots.map((c) => ({ coordinate: c, classification: { level: options.rootField.level }, decision: denied ? 'denied' : 'allowed', values: 0 }));
      if (denied) throw new Refusal(403, 'FORBIDDEN', options.forbidden);
      // A slot held for this request's event: the queue filling meanwhile cannot leave it unaudited.
      const admission = options.sink.admit([options.rootField.level]);
      reserved = admission.reserved;
      if (admission.refused.length) throw new Refusal(503, 'AUDIT_UNAVAILABLE', 'the audit trail cannot record this request right now; try again later');
      if (!document) throw new Refusal(400, 'GRAPHQL_PARSE_FAILED', 'the query does not parse');
      const invalid = validate(options.schema, document);
      if (invalid.length) {
        status = 400;
        errorCodes = ['GRAPHQL_VALIDATION_FAILED'];
        body = { errors: invalid.map((e) => ({ message: e.message, extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } })) };
      } else {
        const variables = request.variables && typeof request.variables === 'object' ? (request.variables as Record<string, unknown>) : undefined;
        const result = await execute({
          schema: options.schema,
          document,
          rootValue: options.rootValue,
          contextValue: options.contextValue(host, context),
          variableValues: variables,
          operationName,
        });
        const errors = (result.errors ?? []).map((e: GraphQLError) => {
          const original = e.originalError;
          const code = original instanceof MeshgateError ? original.code : typeof e.extensions?.code === 'string' ? e.extensions.code : 'INTERNAL_SERVER_ERROR';
          if (code === 'INTERNAL_SERVER_ERROR') options.logger?.error({ err: original ?? e, requestId: context.requestId }, `${options.name}: resolver failed`);
          return { message: code === 'INTERNAL_SERVER_ERROR' ? 'internal error' : e.message, path: e.path, extensions: { code } };
        });
        errorCodes = [...new Set(errors.map((e) => e.extensions.code))];
        const data = result.data as Record<string, unknown> | null | undefined;
        if (data) {
          const aliasesOf = (c: string) =>
            (operation?.selectionSet.selections ?? []).flatMap((s) => (s.kind === Kind.FIELD && `${root}.${s.name.value}` === c ? [s.alias?.value ?? s.name.value] : []));
          for (const f of fields) f.values = aliasesOf(f.coordinate).reduce((n, key) => n + countValues(data[key]), 0);
        }
        outcome = !errors.length ? 'ok' : data ? 'partial' : 'error';
        if (!data && errors.length) status = errors.some((e) => e.extensions.code === 'BAD_USER_INPUT') ? 400 : 500;
        body = { ...(errors.length && { errors }), ...(data !== undefined && { data }) };
      }
    } catch (err) {
      if (!(err instanceof HttpError)) {
        options.logger?.error({ err, requestId: context.requestId }, `${options.name}: request failed`);
        err = new Refusal(500, 'INTERNAL_SERVER_ERROR', 'internal error');
      }
      const r = err as HttpError & { headers?: Record<string, string> };
      status = r.status;
      outcome = r.status >= 500 && r.code !== 'AUDIT_UNAVAILABLE' ? 'error' : 'rejected';
      errorCodes = [r.code];
      Object.assign(headers, r.headers ?? {});
      body = { errors: [{ message: r.message, extensions: { code: r.code } }] };
    }

    const p = context.principal;
    const event: AuditEvent = {
      id: auditEventId(),
      time: new Date(receivedAt).toISOString(),
      requestId: context.requestId,
      subject: p.subject,
      roles: [...p.roles],
      clientName: p.client?.name ?? header(req.headers['apollographql-client-name']),
      clientVersion: p.client?.version ?? header(req.headers['apollographql-client-version']),
      purpose: p.purpose ?? header(req.headers['x-purpose']),
      operationName,
      operationSignature: signature?.signature ?? null,
      operationHash: signature?.hash ?? null,
      fields,
      subgraphs: [],
      outcome,
      errorCodes,
      latencyMs: Math.round((now() - receivedAt) * 1000) / 1000,
    };
    try {
      if (!options.sink.append(event, reserved ? { reserved } : undefined)) options.logger?.error({ requestId: event.requestId }, `${options.name}: the sink refused an event (queue full)`);
    } catch (err) {
      options.logger?.error({ err, requestId: event.requestId }, `${options.name}: appending an event failed`);
    }
    sendJson(res, status, body, { ...headers, ...NO_STORE, 'x-request-id': context.requestId });
  };
}
