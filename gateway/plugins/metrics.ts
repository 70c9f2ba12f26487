import type { GraphQLRequestContext } from '@apollo/server';
import { getOperationAST } from 'graphql';
import type { Logger } from '../../shared/logger';
import type { GatewayMetrics, RequestOutcome } from '../observability/metrics';
import type { AuthorizeState } from './authorize';
import type { GatewayContext, MeshgatePlugin } from './types';

interface RequestMetrics {
  executed: boolean;
  observed: boolean;
}

const now = () => performance.timeOrigin + performance.now();

const codesOf = (errors: readonly { extensions?: Record<string, unknown> }[] | undefined) => [
  ...new Set((errors ?? []).map((e) => e.extensions?.code).filter((c): c is string => typeof c === 'string')),
];

/**
 * The metrics step, last in the pipeline so it sees every response as it leaves: one
 * observation per request (operation name, outcome, latency) and the fields authorize denied,
 * and with a logger one log line per request under its request id (also sent back as
 * `x-request-id`). Outcomes are the audit trail's: ok, partial (data and errors), error
 * (executed, no data), rejected (refused before execution). The log line names no caller, no
 * variable and no argument: those may be personal data, and the audit trail keeps who asked.
 */
export function useMetrics(metrics: GatewayMetrics, logger?: Logger): MeshgatePlugin {
  const stateOf = (context: GatewayContext): RequestMetrics => {
    let state = context.state.metrics as RequestMetrics | undefined;
    if (!state) context.state.metrics = state = { executed: false, observed: false };
    return state;
  };
  const observe = (context: GatewayContext, operationName: string | null | undefined, outcome: RequestOutcome, errorCodes: string[]) => {
    const state = stateOf(context);
    if (state.observed) return;
    state.observed = true;
    const durationMs = now() - (context.receivedAt ?? now());
    metrics.observeRequest(operationName, outcome, durationMs / 1000);
    logger?.info({ requestId: context.requestId, operationName: operationName?.slice(0, 100) ?? null, outcome, errorCodes, durationMs: Math.round(durationMs * 10) / 10 }, 'graphql request');
  };
  const outcomeOf = (rc: GraphQLRequestContext<GatewayContext>): RequestOutcome => {
    const body = rc.response?.body;
    const result = body?.kind === 'single' ? body.singleResult : body?.kind === 'incremental' ? body.initialResult : undefined;
    if (!result?.errors?.length) return 'ok';
    if (result.data !== null && result.data !== undefined) return 'partial';
    return stateOf(rc.contextValue).executed ? 'error' : 'rejected';
  };

  return {
    name: 'metrics',
    contextDidFail(_req, context, error) {
      observe(context, null, 'rejected', codesOf([error as { extensions?: Record<string, unknown> }]));
    },
    apollo: {
      async unexpectedErrorProcessingRequest({ requestContext }) {
        observe(requestContext.contextValue as GatewayContext, requestContext.request.operationName, 'error', ['INTERNAL_SERVER_ERROR']);
      },
      async requestDidStart() {
        return {
          async executionDidStart(rc) {
            stateOf(rc.contextValue).executed = true;
          },
          async willSendResponse(rc) {
            const authorize = rc.contextValue.state.authorize as AuthorizeState | undefined;
            if (authorize && authorize.mode !== 'dry-run' && authorize.plan.denied.length) metrics.observeDenials(authorize.plan.denied.map((d) => d.coordinate));
            rc.response.http.headers.set('x-request-id', rc.contextValue.requestId);
            const body = rc.response.body;
            const errors = body.kind === 'single' ? body.singleResult.errors : body.initialResult.errors;
            // A document that failed validation has no resolved operation yet; its name is still useful.
            const operationName = rc.operationName ?? rc.request.operationName ?? (rc.document && getOperationAST(rc.document)?.name?.value);
            observe(rc.contextValue, operationName, outcomeOf(rc), codesOf(errors));
          },
        };
      },
    },
  };
}
