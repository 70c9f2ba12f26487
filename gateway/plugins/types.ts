import type { IncomingMessage } from 'node:http';
import type { ApolloServerPlugin } from '@apollo/server';
import type { GraphQLSchema } from 'graphql';
import type { Principal } from '../../shared/principal';

/** What every step of the gateway pipeline sees for one request. */
export interface GatewayContext {
  /** A random id, returned in responses and written to logs, to find a request again. */
  requestId: string;
  /** When the gateway received the request: epoch milliseconds, with fractions (`performance.timeOrigin + performance.now()`). */
  receivedAt?: number;
  /** Who is asking; anonymous until the authenticate step says otherwise. */
  principal: Principal;
  /** Step-private state, keyed by plugin name (e.g. authorize's decisions, read by mask). */
  state: Record<string, unknown>;
}

/** The supergraph as loaded: its SDL (which keeps composed directives) and the client-visible API schema. */
export interface LoadedSupergraph {
  sdl: string;
  apiSchema: GraphQLSchema;
}

/**
 * One step of the gateway pipeline, in the spirit of envelop's plugins: a named value with one
 * job. The gateway runs `prepareContext` hooks in pipeline order before GraphQL sees the request
 * (a thrown GraphQLError refuses it), and installs the `apollo` hooks in the same order.
 */
export interface MeshgatePlugin {
  name: string;
  prepareContext?(req: IncomingMessage, context: GatewayContext): Promise<void> | void;
  /**
   * Called on every step when a `prepareContext` refused the request (GraphQL and the `apollo`
   * hooks never see it), with the context as far as it got; for steps that must account for
   * every request (audit). Must not throw.
   */
  contextDidFail?(req: IncomingMessage, context: GatewayContext, error: unknown): void;
  /** Called when the gateway loads or updates its supergraph, before it serves with it. */
  onSupergraph?(supergraph: LoadedSupergraph): void;
  apollo?: ApolloServerPlugin<GatewayContext>;
}
