import type http from 'node:http';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { ApolloGateway, RemoteGraphQLDataSource } from '@apollo/gateway';
import { closeServer, createHttpServer, graphqlRoute, listen, sendJson } from '../shared/http';
import { createLogger, type Logger } from '../shared/logger';
import { createSubgraphFetcher } from './fetcher';
import { probeSubgraphs } from './health';
import { subgraphsOfSupergraph, type SupergraphSubgraph } from './supergraph';

export interface GatewayOptions {
  /** A composed Federation 2 supergraph (see `composeSupergraph` / `meshgate compose`). */
  supergraphSdl: string;
  /** Routing URL overrides by subgraph name; others use the URL in the supergraph. */
  routingUrls?: Record<string, string>;
  /** Per-subgraph request timeout (default 30 s). */
  subgraphTimeoutMs?: number;
  logger?: Logger;
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
 * `GET /health/live` (the process is up).
 */
export async function createGateway(options: GatewayOptions): Promise<MeshgateGateway> {
  // Apollo's gateway reports anonymous telemetry unless told not to; nothing of ours calls out.
  process.env.APOLLO_TELEMETRY_DISABLED = 'true';
  const logger = options.logger ?? createLogger('gateway');
  const subgraphs = subgraphsOfSupergraph(options.supergraphSdl).map((s) => ({ ...s, url: options.routingUrls?.[s.name] ?? s.url }));
  const urlOf = new Map(subgraphs.map((s) => [s.name, s.url]));
  const { fetcher, close: closeFetcher } = createSubgraphFetcher({ timeoutMs: options.subgraphTimeoutMs });

  const gateway = new ApolloGateway({
    supergraphSdl: options.supergraphSdl,
    buildService: ({ name, url }) => new RemoteGraphQLDataSource({ url: urlOf.get(name) ?? url, fetcher }),
    logger,
  });
  const apollo = new ApolloServer({
    gateway,
    plugins: [ApolloServerPluginLandingPageDisabled()],
    includeStacktraceInErrorResponses: false,
  });
  await apollo.start();

  const httpServer = createHttpServer(
    {
      '/graphql': graphqlRoute(apollo, { context: async () => ({}) }),
      '/health': async (_req, res) => {
        const results = await probeSubgraphs(subgraphs);
        const ready = results.every((r) => r.up);
        sendJson(res, ready ? 200 : 503, {
          status: ready ? 'ok' : 'degraded',
          subgraphs: Object.fromEntries(results.map(({ name, ...r }) => [name, r])),
        });
      },
      '/health/live': (_req, res) => sendJson(res, 200, { status: 'ok' }),
    },
    (err) => logger.error({ err }, 'request failed'),
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
