import type http from 'node:http';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginInlineTraceDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { buildSubgraphSchema } from '@apollo/subgraph';
import type { GraphQLFormattedError } from 'graphql';
import type { Database } from './db';
import { typeDefsOf, type Domain, type DomainContext } from './domain';
import { closeServer, createHttpServer, graphqlRoute, listen, sendJson } from './http';
import { createLogger, type Logger } from './logger';

export interface SubgraphService {
  domain: Domain;
  db: Database;
  httpServer: http.Server;
  /** Binds the port (0 = any free port) and returns the base URL; GraphQL is at `${url}/graphql`. */
  listen(port?: number, host?: string): Promise<string>;
  stop(): Promise<void>;
}

/** Known failures keep their code; anything else is an internal error, masked for the caller. */
export function maskUnexpectedError(logger: Logger) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const code = formatted.extensions?.code;
    if (code && code !== 'INTERNAL_SERVER_ERROR') return formatted;
    logger.error({ err: error }, 'unexpected error in resolver');
    return { message: 'internal server error', path: formatted.path, extensions: { code: 'INTERNAL_SERVER_ERROR' } };
  };
}

/**
 * Builds a domain's federation subgraph service without listening: GraphQL at `/graphql`,
 * `GET /health` (database reachable) and `GET /stats` (SQL statements so far, for benchmarks).
 */
export async function createSubgraphService(domain: Domain, db: Database, logger = createLogger(domain.name)): Promise<SubgraphService> {
  const apollo = new ApolloServer<DomainContext<unknown>>({
    schema: buildSubgraphSchema({ typeDefs: typeDefsOf(domain), resolvers: domain.resolvers }),
    // No inline traces: nothing of ours reports usage to Apollo's cloud.
    plugins: [ApolloServerPluginLandingPageDisabled(), ApolloServerPluginInlineTraceDisabled()],
    formatError: maskUnexpectedError(logger),
    includeStacktraceInErrorResponses: false,
  });
  await apollo.start();

  const httpServer = createHttpServer(
    {
      '/graphql': graphqlRoute(apollo, { context: async () => ({ db, loaders: domain.createLoaders(db) }) }),
      '/health': async (_req, res) => {
        try {
          await db.knex.raw('select 1');
          sendJson(res, 200, { status: 'ok', domain: domain.name });
        } catch (err) {
          logger.error({ err }, 'health check: database unreachable');
          sendJson(res, 503, { status: 'unavailable', domain: domain.name, reason: 'database unreachable' });
        }
      },
      '/stats': (_req, res) => sendJson(res, 200, { domain: domain.name, sqlStatements: db.statements() }),
    },
    (err) => logger.error({ err }, 'request failed'),
  );

  return {
    domain,
    db,
    httpServer,
    listen: (port = 0, host = '127.0.0.1') => listen(httpServer, port, host),
    async stop() {
      await closeServer(httpServer);
      await apollo.stop();
    },
  };
}
