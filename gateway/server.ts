import { randomUUID } from 'node:crypto';
import type http from 'node:http';
import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { ApolloGateway } from '@apollo/gateway';
import { isUnexpectedError, maskUnexpectedError, MeshgateError, withoutSuggestions } from '../shared/errors';
import { GraphQLError } from 'graphql';
import { useNodeCryptoForApolloHashes } from '../shared/apollo-hash';
import { answerRelease } from '../shared/answer-release';
import { closeServer, createHttpServer, graphqlRoute, listen, NO_STORE, sendJson, type RequestRefusal } from '../shared/http';
import { createLogger, type Logger } from '../shared/logger';
import { ANONYMOUS } from '../shared/principal';
import type { AuditApiFactory } from './audit/api';
import { noteSubgraphCall } from './audit/event-subgraphs';
import { createSubgraphFetcher, DEFAULT_SUBGRAPH_TIMEOUT_MS } from './fetcher';
import type { EndpointFactory } from './governed-endpoint';
import { acceptSecurityFeatures } from './authorization/requirements';
import { cachedProbe, probeSubgraphs } from './health';
import { metricsRoute } from './observability/metrics-route';
import type { GatewayMetrics } from './observability/metrics';
import { tracedRoute } from './observability/tracing';
import { installResultShaping } from './result-shaping';
import { createSubgraphSource } from './subgraph-source';
import { webRoutes } from './web';
import { withLimits } from './plugins/limit';
import type { GatewayContext, LoadedSupergraph, MeshgatePlugin } from './plugins/types';
import { subgraphsOfSupergraph, type SupergraphSubgraph } from './supergraph';
import type { SupergraphReloader } from './reload';

export interface GatewayOptions {
  /** A composed Federation 2 supergraph (see `composeSupergraph` / `meshgate compose`). */
  supergraphSdl: string;
  /** Routing URL overrides by subgraph name; others use the URL in the supergraph. */
  routingUrls?: Record<string, string>;
  /** Per-subgraph request timeout (default 30 s). */
  subgraphTimeoutMs?: number;
  /** Identical query fetches of one principal in flight share one subgraph call (default true; inflight-dedup.ts). */
  dedupeInflightFetches?: boolean;
  /** Timeouts of particular subgraphs, by name (`meshgate.subgraphs` in the config; see `subgraphTimeouts`). */
  subgraphTimeouts?: Record<string, number>;
  /** Prometheus metrics (`createGatewayMetrics`): served at `GET /metrics`, fed by every subgraph call; absent = no such route. */
  metrics?: GatewayMetrics;
  /** The request pipeline, in order (see gateway/pipeline.ts); empty serves the supergraph ungoverned. */
  plugins?: MeshgatePlugin[];
  /** Secret shared with the subgraphs: every subgraph request is signed, with the caller's principal (default `MESHGATE_SUBGRAPH_SECRET`; unset = unsigned). */
  subgraphSecret?: string;
  /** The auditor API at `POST /audit/graphql` (`auditApi(…)` from gateway/audit/api); absent = no such route. */
  auditApi?: AuditApiFactory;
  /** The catalog API at `POST /catalog/graphql` (`catalogApi(…)` from gateway/catalog/api); absent = no such route. */
  catalogApi?: EndpointFactory;
  /** The web front end (`/catalog`, `/audit`, `/web/*`) for the APIs given; default on. Its pages read the APIs with the user's token. */
  web?: boolean;
  logger?: Logger;
  /** Hot reload (gateway/reload.ts): later supergraphs replace `supergraphSdl` while serving; absent = it never changes. */
  reloader?: SupergraphReloader;
}

export interface MeshgateGateway {
  httpServer: http.Server;
  /** The subgraphs this gateway routes to, with the URLs it actually uses. */
  subgraphs: SupergraphSubgraph[];
  listen(port?: number, host?: string): Promise<string>;
  stop(): Promise<void>;
}

/**
 * Builds the gateway without listening: `POST /graphql` (the supergraph), `GET /health`
 * (readiness: 200 when every subgraph answers, else 503 naming the ones that do not) and
 * `GET /health/live` (the process is up); with `auditApi`, `POST /audit/graphql` (the auditor API).
 */
export async function createGateway(options: GatewayOptions): Promise<MeshgateGateway> {
  // Apollo's gateway reports anonymous telemetry unless told not to; nothing of ours calls out.
  process.env.APOLLO_TELEMETRY_DISABLED = 'true';
  const logger = options.logger ?? createLogger('gateway');
  installResultShaping(logger);
  useNodeCryptoForApolloHashes();
  const routed = (sdl: string) => subgraphsOfSupergraph(sdl).map((s) => ({ ...s, url: options.routingUrls?.[s.name] ?? s.url }));
  const subgraphs = routed(options.supergraphSdl);
  const urlOf = new Map(subgraphs.map((s) => [s.name, s.url]));
  // Each call gets its subgraph's deadline; the connection-level timeouts only need to allow the longest.
  const timeoutOf = (name: string) => options.subgraphTimeouts?.[name] ?? options.subgraphTimeoutMs;
  const longest = Math.max(options.subgraphTimeoutMs ?? DEFAULT_SUBGRAPH_TIMEOUT_MS, ...Object.values(options.subgraphTimeouts ?? {}));
  const { fetcher, close: closeFetcher } = createSubgraphFetcher({ timeoutMs: longest });
  const subgraphSecret = options.subgraphSecret ?? (process.env.MESHGATE_SUBGRAPH_SECRET || undefined);
  if (!subgraphSecret && process.env.NODE_ENV === 'production') {
    throw new MeshgateError('CONFIG_INVALID', 'MESHGATE_SUBGRAPH_SECRET must be set in production: subgraphs execute only requests the gateway signs');
  }

  const gateway = new ApolloGateway({
    // Meshgate enforces @authenticated, @requiresScopes and @policy itself (see the authorize step).
    supergraphSdl: options.reloader
      ? options.reloader.hook(options.supergraphSdl, acceptSecurityFeatures, (update, next, previous) => swapSupergraph(update, next, previous))
      : acceptSecurityFeatures(options.supergraphSdl),
    buildService: ({ name, url }) => {
      const source = createSubgraphSource({
        name,
        url: urlOf.get(name) ?? url,
        fetcher,
        secret: subgraphSecret,
        timeoutMs: timeoutOf(name),
        onFetch: options.metrics?.observeSubgraphFetch,
        dedupeInflight: options.dedupeInflightFetches,
        onSharedFetch: options.metrics?.observeSharedFetch,
        logger,
      });
      // The audit trail records which subgraphs each request actually called.
      const process = source.process.bind(source);
      source.process = (request) => {
        noteSubgraphCall(request.context, name);
        return process(request);
      };
      return source;
    },
    logger,
  });
  // Abuse limits are always on: a pipeline without its limits step gets one with the defaults.
  const { plugins, limits } = withLimits(options.plugins ?? []);
  // Steps that need the supergraph (classifications, directives) get it on every load or update.
  // Apollo wraps what they throw; the first such error is kept to report as it was thrown.
  let supergraphError: unknown;
  let rejected: unknown; // what a step threw at the latest reloaded supergraph
  let loaded: LoadedSupergraph | undefined;
  const supergraphListener: ApolloServerPlugin<GatewayContext> = {
    async serverWillStart() {
      return {
        schemaDidLoadOrUpdate({ apiSchema, coreSupergraphSdl }) {
          try {
            loaded = { sdl: coreSupergraphSdl!, apiSchema };
            for (const plugin of plugins) plugin.onSupergraph?.(loaded);
          } catch (err) {
            supergraphError ??= err;
            rejected = err;
            throw err;
          }
        },
      };
    },
  };
  // A reloaded supergraph serves only if every step takes it (Apollo would log a step's error and
  // serve it anyway); otherwise the previous one is restored, within the same synchronous turn.
  const swapSupergraph = (update: (sdl: string) => void, next: string, previous: string) => {
    rejected = undefined;
    update(acceptSecurityFeatures(next));
    if (rejected !== undefined) {
      const reason = rejected;
      update(acceptSecurityFeatures(previous));
      throw reason;
    }
    subgraphs.splice(0, subgraphs.length, ...routed(next));
  };
  // Unexpected errors are logged where the request is known, under its id; formatError then only masks them.
  const loggedUnder = new WeakMap<object, string>();
  const logUnexpected = (error: unknown, requestId: string) => {
    if (typeof error !== 'object' || error === null || loggedUnder.has(error)) return;
    loggedUnder.set(error, requestId);
    logger.error({ err: (error as GraphQLError).originalError ?? error, requestId }, 'unexpected error');
  };
  const errorLog: ApolloServerPlugin<GatewayContext> = {
    async requestDidStart() {
      return {
        async didEncounterErrors({ errors, contextValue }) {
          for (const error of errors) if (isUnexpectedError(error)) logUnexpected(error, contextValue.requestId);
        },
      };
    },
  };
  // Apollo wraps what context creation throws in a new GraphQLError: the original is the one logged.
  const maskUnexpected = maskUnexpectedError(logger, {
    loggedUnder: (error) => (error instanceof Error ? (loggedUnder.get(error) ?? (error instanceof GraphQLError && error.originalError ? loggedUnder.get(error.originalError) : undefined)) : undefined),
  });
  const answers = answerRelease<GatewayContext>((context) => context.state);
  const apollo = new ApolloServer<GatewayContext>({
    gateway,
    plugins: [
      ApolloServerPluginLandingPageDisabled(),
      // Subgraph cache hints never reach the caller (it would pass `max-age=60, public` on): see NO_STORE.
      ApolloServerPluginCacheControlDisabled(),
      supergraphListener,
      errorLog,
      answers.plugin,
      ...plugins.flatMap((p) => (p.apollo ? [p.apollo] : [])),
    ],
    // Meshgate stops in order itself (HTTP drained, then audit flushed); Apollo must not race it.
    stopOnTerminationSignals: false,
    includeStacktraceInErrorResponses: false,
    // Apollo refuses all introspection in production; with an introspection step, that step decides
    // (anonymous callers refused, others see the schema the policy lets them read). Without one, Apollo's default.
    introspection: plugins.some((p) => p.name === 'introspection') || undefined,
    // "Did you mean …?" would name fields a caller may not be allowed to discover.
    hideSchemaDetailsFromClientErrors: true,
    // Parse and validation limits, checked before any plugin walks the operation or the gateway plans it.
    ...limits.apolloOptions,
    // Limit refusals keep their codes; an unexpected error reaches the caller as a code only, its text goes to the log.
    // Suggestions go from every error (hideSchemaDetailsFromClientErrors covers validation errors only).
    formatError: (formatted, error) => withoutSuggestions(maskUnexpected(limits.apolloOptions.formatError?.(formatted, error) ?? formatted, error)),
    // One operation per request (one context, authorization and audit event each); the route refuses batches first.
    allowBatchedHttpRequests: false,
    csrfPrevention: true,
  });
  try {
    await apollo.start();
  } catch (err) {
    await closeFetcher();
    throw supergraphError ?? err;
  }

  const prepareContext = async (req: http.IncomingMessage, context: GatewayContext) => {
    for (const plugin of plugins) await plugin.prepareContext?.(req, context);
  };
  const newContext = (): GatewayContext => ({ requestId: randomUUID(), receivedAt: performance.timeOrigin + performance.now(), principal: ANONYMOUS, state: {} });
  const createContext = async (req: http.IncomingMessage): Promise<GatewayContext> => {
    const context = newContext();
    try {
      await prepareContext(req, context);
    } catch (err) {
      // Refused before GraphQL runs (Apollo calls no request hooks): the audit step still records it.
      for (const plugin of plugins) plugin.contextDidFail?.(req, context, err);
      if (!(err instanceof GraphQLError) || isUnexpectedError(err)) logUnexpected(err, context.requestId);
      throw err;
    }
    return context;
  };
  // The route refused the request before GraphQL (body too large, not JSON, a batch): audited all the same.
  const auditRefusal = async (req: http.IncomingMessage, refusal: RequestRefusal) => {
    const context = newContext();
    try {
      await prepareContext(req, context);
    } catch {
      // Who asked is best effort here: the route's refusal, not this one, is what gets recorded.
    }
    const error = new GraphQLError(refusal.message, { extensions: { code: refusal.code } });
    for (const plugin of plugins) plugin.contextDidFail?.(req, context, error);
  };

  // Readiness is public (nginx serves it): one round of probes answers every request for 2 s.
  const probe = cachedProbe(() => probeSubgraphs(subgraphs, undefined, { secret: subgraphSecret }));
  const endpointHost = { prepareContext, supergraph: () => loaded, subgraphs: () => subgraphs };
  const httpServer = createHttpServer(
    {
      '/graphql': tracedRoute('POST /graphql', graphqlRoute(apollo, { context: createContext, maxBodyBytes: limits.settings.maxBodyBytes, onRefused: auditRefusal, responseHeaders: NO_STORE, answered: answers.release })),
      '/health': async (_req, res) => {
        const results = await probe();
        const ready = results.every((r) => r.up);
        sendJson(res, ready ? 200 : 503, {
          status: ready ? 'ok' : 'degraded',
          subgraphs: Object.fromEntries(results.map(({ name, ...r }) => [name, r])),
        });
      },
      '/health/live': (_req, res) => sendJson(res, 200, { status: 'ok' }),
      ...(options.metrics && { '/metrics': metricsRoute(options.metrics.registry) }),
      ...(options.auditApi && { '/audit/graphql': options.auditApi(endpointHost) }),
      ...(options.catalogApi && { '/catalog/graphql': options.catalogApi(endpointHost) }),
      ...(options.web !== false && webRoutes([...(options.catalogApi ? (['/catalog'] as const) : []), ...(options.auditApi ? (['/audit'] as const) : [])])),
    },
    (err) => logger.error({ err }, 'request failed'),
    limits.settings,
  );

  return {
    httpServer,
    subgraphs,
    listen: (port = 0, host = '127.0.0.1') => listen(httpServer, port, host),
    async stop() {
      await closeServer(httpServer);
      await apollo.stop();
      await closeFetcher();
    },
  };
}
