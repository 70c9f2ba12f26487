import type { IncomingMessage } from 'node:http';
import { HeaderMap, type GraphQLRequestContext } from '@apollo/server';
import type { DocumentNode, GraphQLFormattedError } from 'graphql';
import type { Logger } from '../../shared/logger';
import { auditEventId } from '../audit/event-id';
import { readEntityKeys } from '../audit/event-keys';
import { measureAll, responsePlan, staticPlan, stripHidden, type ResponsePlan, type StaticPlan } from '../audit/event-plan';
import { subgraphsCalled } from '../audit/event-subgraphs';
import { createSignatureCache } from '../audit/operation-signature';
import type { AuditEvent, AuditFieldUse, AuditOutcome, AuditSink } from '../audit/types';
import type { SupergraphCatalog } from '../authorization/catalog';
import type { FieldCatalog } from '../authorization/plan';
import type { AuthorizeState } from './authorize';
import type { GatewayContext, MeshgatePlugin } from './types';

export interface AuditOptions {
  /** Where events go; `append` queues and never waits for the store. */
  sink: AuditSink;
  logger?: Logger;
  /** The pipeline's shared catalog source (see `catalogSource`): classifications and requirements per supergraph. */
  catalogOf(supergraphSdl: string): SupergraphCatalog;
}

/** Per-request audit state, in `context.state.audit`. */
interface RequestAudit {
  /** Epoch milliseconds (fractional) when the gateway received the request. */
  receivedAt: number;
  /** Apollo's hash of the source as received (before authorize or audit replace the document). */
  sourceHash?: string;
  source?: string;
  response?: ResponsePlan;
  executed: boolean;
  /** Refused by the audit step itself (AUDIT_UNAVAILABLE). */
  refused: boolean;
  /** `sink.admit` holds a queue slot for this request's event. */
  reserved?: boolean;
  emitted: boolean;
}

const now = () => performance.timeOrigin + performance.now();
const header = (value: string | string[] | undefined) => (Array.isArray(value) ? value[0] : value) ?? null;

function codesOf(errors: readonly GraphQLFormattedError[] | undefined): string[] {
  const codes = new Set<string>();
  for (const e of errors ?? []) if (typeof e.extensions?.code === 'string') codes.add(e.extensions.code);
  return [...codes];
}

/**
 * The audit step, last in the pipeline: exactly one AuditEvent per operation the gateway receives,
 * whatever became of it — who asked (subject, roles, client, purpose), what (literal-free
 * signature and hash), every field touched with its classification, decision and the number of
 * values the final response carried (entity keys for personal data), the subgraphs actually
 * called, the outcome with error codes, and the latency.
 *
 * Back-pressure: while the sink is behind on its writes (see `AuditWriter.caughtUp`), new requests
 * wait before they run: a slice each, or until it has caught up when far behind.
 *
 * Fail closed: an operation reading data of a level the sink does not accept now is refused with
 * AUDIT_UNAVAILABLE (503) before any subgraph is called. The check runs in `responseForOperation`,
 * the first hook after every `didResolveOperation` (Apollo runs those concurrently, so authorize's
 * decisions are only certain there).
 */
export function useAudit(options: AuditOptions): MeshgatePlugin {
  const { sink, logger } = options;
  const signatures = createSignatureCache();
  const statics = new WeakMap<AuthorizeState['plan'], StaticPlan>();
  const responses = new WeakMap<AuthorizeState['plan'], ResponsePlan>();
  let catalog: FieldCatalog | undefined;
  let entityKeys = new Map<string, string[]>();

  const staticOf = (plan: AuthorizeState['plan']) => {
    let s = statics.get(plan);
    if (!s) statics.set(plan, (s = staticPlan(plan, catalog ?? (() => undefined))));
    return s;
  };

  const append = (event: AuditEvent, reserved = false) => {
    try {
      if (!sink.append(event, reserved ? { reserved } : undefined)) logger?.error({ requestId: event.requestId, outcome: event.outcome }, 'audit: the sink refused an event (queue full)');
    } catch (err) {
      logger?.error({ err, requestId: event.requestId }, 'audit: appending an event failed');
    }
  };

  const base = (context: GatewayContext, headers: { get(name: string): string | null | undefined }, receivedAt: number) => {
    const p = context.principal;
    return {
      id: auditEventId(),
      time: new Date(receivedAt).toISOString(),
      requestId: context.requestId,
      subject: p.subject,
      roles: [...p.roles],
      clientName: p.client?.name ?? headers.get('apollographql-client-name') ?? null,
      clientVersion: p.client?.version ?? headers.get('apollographql-client-version') ?? null,
      purpose: p.purpose ?? headers.get('x-purpose') ?? null,
    };
  };

  const stateOf = (context: GatewayContext): RequestAudit => {
    let state = context.state.audit as RequestAudit | undefined;
    if (!state) context.state.audit = state = { receivedAt: context.receivedAt ?? now(), executed: false, refused: false, emitted: false };
    return state;
  };

  const fieldsOf = (context: GatewayContext, state: RequestAudit, data: Record<string, any> | null | undefined): AuditFieldUse[] => {
    const authorize = context.state.authorize as AuthorizeState | undefined;
    if (!authorize) return [];
    const { uses } = staticOf(authorize.plan);
    const response = state.executed && state.response?.aligned ? state.response : undefined;
    const keys = uses.map((use) => (use.personal ? new Set<string>() : undefined));
    const values = response ? measureAll(data, response, keys) : undefined;
    return uses.map((use, i) => {
      const out: AuditFieldUse = { coordinate: use.coordinate, classification: use.classification, decision: use.decision, values: values?.[i] ?? 0 };
      if (keys[i] && response) out.entityKeys = [...keys[i]!];
      return out;
    });
  };

  /** Builds and appends the event for a request Apollo processed (with or without execution). */
  const emit = (rc: GraphQLRequestContext<GatewayContext>, override?: { outcome: AuditOutcome; errorCodes: string[] }) => {
    const context = rc.contextValue;
    const state = stateOf(context);
    if (state.emitted) return;
    state.emitted = true;
    const body = rc.response?.body;
    const result = body?.kind === 'single' ? body.singleResult : body?.kind === 'incremental' ? body.initialResult : undefined;
    const data = result?.data as Record<string, any> | null | undefined;
    const errors = result?.errors;
    const fields = fieldsOf(context, state, data);
    if (state.response?.strip.length) stripHidden(data, state.response.strip);
    let outcome: AuditOutcome;
    if (override) outcome = override.outcome;
    else if (state.refused) outcome = 'rejected';
    else if (!errors?.length) outcome = 'ok';
    else if (data !== null && data !== undefined) outcome = 'partial';
    else outcome = state.executed ? 'error' : 'rejected';
    const errorCodes = [...(override?.errorCodes ?? codesOf(errors))];
    // Executed but not counted: say so in the event, or its zeros read as "nothing was returned".
    if (state.executed && state.response && !state.response.aligned) errorCodes.push('AUDIT_UNCOUNTED');
    const operationName = rc.operationName ?? rc.request.operationName ?? null;
    const signature = state.sourceHash ? signatures.get(state.sourceHash, operationName, state.source) : null;
    const headers = rc.request.http?.headers ?? new HeaderMap();
    append({
      ...base(context, headers, state.receivedAt),
      operationName,
      operationSignature: signature?.signature ?? null,
      operationHash: signature?.hash ?? null,
      fields,
      subgraphs: subgraphsCalled(context),
      outcome,
      errorCodes,
      latencyMs: Math.round((now() - state.receivedAt) * 1000) / 1000,
    }, state.reserved);
  };

  return {
    name: 'audit',
    /** A sink behind on its writes holds new requests back (a slice, or until it catches up): slower, but no event lost. */
    prepareContext: () => sink.caughtUp?.(),
    onSupergraph({ sdl, apiSchema }) {
      catalog = options.catalogOf(sdl).catalog;
      entityKeys = readEntityKeys(sdl, apiSchema);
    },
    /** A `prepareContext` step refused the request: GraphQL never saw it, the audit trail does. */
    contextDidFail(req: IncomingMessage, context: GatewayContext, error: unknown) {
      const state = stateOf(context);
      if (state.emitted) return;
      state.emitted = true;
      const code = (error as { extensions?: { code?: unknown } } | undefined)?.extensions?.code;
      append({
        ...base(context, { get: (name) => header(req.headers[name]) }, state.receivedAt),
        operationName: null,
        operationSignature: null,
        operationHash: null,
        fields: [],
        subgraphs: [],
        outcome: 'rejected',
        errorCodes: [typeof code === 'string' ? code : 'INTERNAL_SERVER_ERROR'],
        latencyMs: Math.round((now() - state.receivedAt) * 1000) / 1000,
      });
    },
    apollo: {
      async unexpectedErrorProcessingRequest({ requestContext }) {
        // Apollo answers "Internal server error" (500) without calling willSendResponse.
        emit(requestContext as GraphQLRequestContext<GatewayContext>, { outcome: 'error', errorCodes: ['INTERNAL_SERVER_ERROR'] });
      },
      async requestDidStart(start) {
        const state = stateOf(start.contextValue);
        return {
          async didResolveSource(rc) {
            state.sourceHash = rc.queryHash;
            state.source = rc.source;
          },
          async responseForOperation(rc) {
            const authorize = rc.contextValue.state.authorize as AuthorizeState | undefined;
            if (!authorize) return null;
            const { plan, mode } = authorize;
            let response = responses.get(plan);
            if (!response) {
              response = responsePlan({
                plan,
                uses: staticOf(plan).uses,
                pruned: mode !== 'dry-run' && plan.denied.length > 0,
                executed: rc.document,
                queryHash: rc.queryHash!,
                operationName: rc.operationName,
                schema: rc.schema,
                variables: rc.request.variables ?? {},
                entityKeys,
              });
              if (!response.aligned) logger?.warn({ code: 'AUDIT_UNCOUNTED', requestId: rc.contextValue.requestId }, 'audit: the operation walk does not match the authorization plan; values are not counted');
              responses.set(plan, response);
            }
            state.response = response;
            // admit, not accepts: the queue may fill before the event is appended, after the data left.
            const { refused: closed, reserved } = sink.admit(response.levels);
            state.reserved = reserved;
            if (closed.length) {
              state.refused = true;
              return {
                http: { status: 503, headers: new HeaderMap() },
                body: {
                  kind: 'single',
                  singleResult: {
                    errors: [{ message: `the audit trail cannot record ${closed.join(', ')} data right now; try again later`, extensions: { code: 'AUDIT_UNAVAILABLE' } }],
                  },
                },
              };
            }
            if (response.document !== rc.document) {
              // Replace, never mutate (as authorize does): new document, operation and query hash.
              const writable = rc as { document: DocumentNode; operation: unknown; queryHash: string };
              writable.document = response.document;
              writable.operation = response.operation;
              writable.queryHash = response.queryHash;
            }
            return null;
          },
          async executionDidStart() {
            state.executed = true;
          },
          async willSendResponse(rc) {
            // Runs after mask's (synchronous) willSendResponse: counts what actually leaves.
            emit(rc);
          },
        };
      },
    },
  };
}
