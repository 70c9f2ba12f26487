import type http from 'node:http';
import { ApolloServer } from '@apollo/server';
import {
  ApolloServerPluginCacheControlDisabled,
  ApolloServerPluginInlineTraceDisabled,
  ApolloServerPluginLandingPageDisabled,
} from '@apollo/server/plugin/disabled';
import { buildSubgraphSchema } from '@apollo/subgraph';
import type { Database } from './db';
import { typeDefsOf, type Domain, type DomainContext } from './domain';
import { maskUnexpectedError, MeshgateError } from './errors';
import { useNodeCryptoForApolloHashes } from './apollo-hash';
import { closeServer, createHttpServer, graphqlRoute, listen, sendJson, type RequestRefusal } from './http';
import { createLogger, type Logger } from './logger';
import { ANONYMOUS, type Principal } from './principal';
import { assertUsableSecret, createReplayCache, subgraphSecretFromEnv, verifySubgraphRequest } from './signing';
import { newestDataAt } from './freshness';
import { ValidatedQueries } from './validated-queries';

export interface SubgraphService {
  domain: Domain;
  db: Database;
  httpServer: http.Server;
  /** Binds the port (0 = any free port) and returns the base URL; GraphQL is at `${url}/graphql`. */
  listen(port?: number, host?: string): Promise<string>;
  stop(): Promise<void>;
}

export interface SubgraphServiceOptions {
  /** The secret shared with the gateway (default `MESHGATE_SUBGRAPH_SECRET`); when set, `/graphql` executes only gateway-signed requests. */
  secret?: string;
  /** Accepted difference between a signature's timestamp and this server's clock (default 60 s). */
  signatureWindowMs?: number;
  /** Where `MESHGATE_SUBGRAPH_SECRET` and `NODE_ENV` are read (default `process.env`). */
  env?: NodeJS.ProcessEnv;
}

/**
 * Checks gateway signatures on `/graphql` (shared/signing.ts) and hands the verified principal
 * to the request's context. Without a secret: refused in production, and in development every
 * request is accepted as `ANONYMOUS` (a principal header is then ignored, never trusted).
 */
function requestVerifier(domain: Domain, logger: Logger, options: SubgraphServiceOptions) {
  const env = options.env ?? process.env;
  const secret = options.secret ?? subgraphSecretFromEnv(env);
  const principals = new WeakMap<http.IncomingMessage, Principal>();
  const principalOf = (req: http.IncomingMessage) => principals.get(req) ?? ANONYMOUS;
  if (!secret) {
    if (env.NODE_ENV === 'production') {
      throw new MeshgateError('CONFIG_INVALID', 'MESHGATE_SUBGRAPH_SECRET must be set in production: a subgraph executes only requests signed by the gateway');
    }
    logger.warn(
      { domain: domain.name },
      `${domain.name}: MESHGATE_SUBGRAPH_SECRET is not set; accepting unsigned requests as anonymous (development only: anyone who reaches this port can call _entities and _service)`,
    );
    return { verify: undefined, principalOf };
  }
  assertUsableSecret(secret);
  const replayCache = createReplayCache({ windowMs: options.signatureWindowMs });
  const verify = (req: http.IncomingMessage, rawBody: Buffer): RequestRefusal | undefined => {
    // Signatures cover the body only: a GET carries its operation in the URL, so it is refused.
    if (req.method !== 'POST') return { status: 401, code: 'SIGNATURE_INVALID', message: 'only signed POST requests are accepted' };
    const result = verifySubgraphRequest({ headers: req.headers, body: rawBody, secret, replayCache });
    if (!result.ok) {
      // The code and the failed check only: never the secret, the signature or the principal.
      logger.warn({ code: result.code, remote: req.socket.remoteAddress }, `refused unsigned or badly signed request: ${result.message}`);
      return { status: 401, code: result.code, message: result.message };
    }
    principals.set(req, result.principal);
    return undefined;
  };
  return { verify, principalOf };
}

/**
 * Builds a domain's federation subgraph service without listening: GraphQL at `/graphql`,
 * `GET /health` (database reachable) and `GET /stats` (SQL statements so far, for benchmarks).
 * `/graphql` checks the gateway's signature when a secret is configured (see
 * `SubgraphServiceOptions`); `/health` and `/stats` never do.
 */
export async function createSubgraphService(
  domain: Domain,
  db: Database,
  logger = createLogger(domain.name),
  options: SubgraphServiceOptions = {},
): Promise<SubgraphService> {
  const { verify, principalOf } = requestVerifier(domain, logger, options);
  useNodeCryptoForApolloHashes();
  const subgraphSchema = buildSubgraphSchema({ typeDefs: typeDefsOf(domain), resolvers: domain.resolvers });
  const schema = domain.applyPolicy ? domain.applyPolicy(subgraphSchema) : subgraphSchema;
  const validatedQueries = new ValidatedQueries<DomainContext<unknown>>(schema);
  const apollo = new ApolloServer<DomainContext<unknown>>({
    schema,
    // No inline traces: nothing of ours reports usage to Apollo's cloud. No cache control: nothing
    // sets cache hints, and its per-field hook makes Apollo wrap every resolver (~10% of a heavy query).
    plugins: [
      ApolloServerPluginLandingPageDisabled(),
      ApolloServerPluginInlineTraceDisabled(),
      ApolloServerPluginCacheControlDisabled(),
      validatedQueries.plugin(),
    ],
    formatError: maskUnexpectedError(logger),
    // Meshgate stops in order itself (HTTP drained, then audit flushed); Apollo must not race it.
    stopOnTerminationSignals: false,
    includeStacktraceInErrorResponses: false,
  });
  await apollo.start();

  const httpServer = createHttpServer(
    {
      '/graphql': graphqlRoute(apollo, {
        verify,
        context: async (req) => ({ db, loaders: domain.createLoaders(db), principal: principalOf(req) }),
        answerDirectly: (req, body, context) => validatedQueries.answer(req, body, context),
      }),
      '/health': async (_req, res) => {
        try {
          await db.knex.raw('select 1');
          sendJson(res, 200, { status: 'ok', domain: domain.name });
        } catch (err) {
          logger.error({ err }, 'health check: database unreachable');
          sendJson(res, 503, { status: 'unavailable', domain: domain.name, reason: 'database unreachable' });
        }
      },
      // When the domain's newest data was loaded: the gateway's catalog checks it against the freshness objective.
      '/freshness': async (_req, res) => {
        try {
          const at = await newestDataAt(db);
          sendJson(res, 200, { domain: domain.name, newestDataAt: at?.toISOString() ?? null });
        } catch (err) {
          logger.error({ err }, 'freshness: cannot read the data loads');
          sendJson(res, 503, { domain: domain.name, newestDataAt: null, reason: 'database unreachable' });
        }
      },
      '/stats': (_req, res) => sendJson(res, 200, { domain: domain.name, sqlStatements: db.statements(), answeredWithoutApollo: validatedQueries.answered, compiledQueries: validatedQueries.compiled }),
    },
    (err) => logger.error({ err }, 'request failed'),
  );

  // Stopping twice (a test that kills a subgraph, then its teardown) waits for the same stop.
  let stopped: Promise<void> | undefined;
  return {
    domain,
    db,
    httpServer,
    listen: (port = 0, host = '127.0.0.1') => listen(httpServer, port, host),
    stop: () =>
      (stopped ??= (async () => {
        await closeServer(httpServer);
        await apollo.stop();
      })()),
  };
}
