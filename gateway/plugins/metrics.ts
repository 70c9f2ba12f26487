import type { GraphQLRequestContext } from '@apollo/server';
import type { GatewayMetrics, RequestOutcome } from '../observability/metrics';
import type { AuthorizeState } from './authorize';
import type { GatewayContext, MeshgatePlugin } from './types';

interface RequestMetrics {
  executed: boolean;
  observed: boolean;
}

const now = () => performance.timeOrigin + performance.now();

/**
 * The metrics step, last in the pipeline so it sees every response as it leaves: one
 * observation per request (operation name, outcome, latency) and the fields authorize denied.
 * Outcomes are the audit trail's: ok, partial (data and errors), error (executed, no data),
 * rejected (refused before execution).
 */
export function useMetrics(metrics: GatewayMetrics): MeshgatePlugin {
  const stateOf = (context: GatewayContext): RequestMetrics => {
    let state = context.state.metrics as RequestMetrics | undefined;
    if (!state) context.state.metrics = state = { executed: false, observed: false };
    return state;
  };
  const observe = (context: GatewayContext, operationName: string | null | undefined, outcome: RequestOutcome) => {
    const state = stateOf(context);
    if (state.observed) return;
    state.observed = true;
    metrics.observeRequest(operationName, outcome, (now() - (context.receivedAt ?? now())) / 1000);
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
    contextDidFail(_req, context) {
      observe(context, null, 'rejected');
    },
    apollo: {
      async unexpectedErrorProcessingRequest({ requestContext }) {
        observe(requestContext.contextValue as GatewayContext, requestContext.request.operationName, 'error');
      },
      async requestDidStart() {
        return {
          async executionDidStart(rc) {
            stateOf(rc.contextValue).executed = true;
          },
          async willSendResponse(rc) {
            const authorize = rc.contextValue.state.authorize as AuthorizeState | undefined;
            if (authorize && authorize.mode !== 'dry-run' && authorize.plan.denied.length) metrics.observeDenials(authorize.plan.denied.map((d) => d.coordinate));
            observe(rc.contextValue, rc.operationName ?? rc.request.operationName, outcomeOf(rc));
          },
        };
      },
    },
  };
}
