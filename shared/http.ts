import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type ApolloServer, type BaseContext, HeaderMap } from '@apollo/server';

export type RouteHandler = (req: IncomingMessage, res: ServerResponse) => Promise<void> | void;

/** Requests above this many bytes are refused with 413 (a bare Apollo Server accepts 50 MB). */
export const DEFAULT_MAX_BODY_BYTES = 2 * 1024 * 1024;

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const payload = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(payload) });
  res.end(payload);
}

/** A GraphQL-shaped error response for requests refused before GraphQL execution. */
export function sendRequestError(res: ServerResponse, status: number, code: string, message: string): void {
  sendJson(res, status, { errors: [{ message, extensions: { code } }] });
}

/** A request refused before GraphQL sees it, with its HTTP status and error code. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** Reads a request body, refusing one over `maxBytes` (declared or actual) with a 413 HttpError. */
export function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > maxBytes) {
      reject(new HttpError(413, 'PAYLOAD_TOO_LARGE', `request body exceeds ${maxBytes} bytes`));
      req.resume();
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        reject(new HttpError(413, 'PAYLOAD_TOO_LARGE', `request body exceeds ${maxBytes} bytes`));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function toHeaderMap(req: IncomingMessage): HeaderMap {
  const headers = new HeaderMap();
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(', ') : value);
  }
  return headers;
}

/** Why a request is refused before GraphQL sees it: sent as a GraphQL-shaped error body. */
export interface RequestRefusal {
  status: number;
  code: string;
  message: string;
}

export interface GraphqlRouteOptions<C> {
  /** Builds the per-request context; may throw a GraphQLError to refuse the request. */
  context: (req: IncomingMessage) => Promise<C>;
  maxBodyBytes?: number;
  /**
   * Checks a request against its exact body bytes (empty unless POST) before anything parses or
   * executes it; a refusal is answered as is. Runs before `context`.
   */
  verify?: (req: IncomingMessage, rawBody: Buffer) => RequestRefusal | undefined | Promise<RequestRefusal | undefined>;
}

/** Serves an Apollo Server over node:http: parses JSON bodies, enforces the body limit. */
export function graphqlRoute<C extends BaseContext>(server: ApolloServer<C>, options: GraphqlRouteOptions<C>): RouteHandler {
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  return async (req, res) => {
    let body: unknown;
    const url = req.url ?? '/';
    try {
      const raw = req.method === 'POST' ? await readBody(req, maxBodyBytes) : Buffer.alloc(0);
      const refusal = await options.verify?.(req, raw);
      if (refusal) return sendRequestError(res, refusal.status, refusal.code, refusal.message);
      if (req.method === 'POST') {
        const text = raw.toString('utf8');
        const type = req.headers['content-type'] ?? '';
        if (type.includes('application/json') || type.includes('application/graphql-response+json')) {
          try {
            body = text.length ? JSON.parse(text) : undefined;
          } catch {
            throw new HttpError(400, 'BAD_REQUEST', 'request body is not valid JSON');
          }
        } else {
          body = text;
        }
      }
    } catch (err) {
      if (err instanceof HttpError) return sendRequestError(res, err.status, err.code, err.message);
      throw err;
    }
    const queryStart = url.indexOf('?');
    const response = await server.executeHTTPGraphQLRequest({
      httpGraphQLRequest: {
        method: req.method ?? 'GET',
        headers: toHeaderMap(req),
        search: queryStart >= 0 ? url.slice(queryStart) : '',
        body,
      },
      context: () => options.context(req),
    });
    for (const [name, value] of response.headers) res.setHeader(name, value);
    res.statusCode = response.status ?? 200;
    if (response.body.kind === 'complete') {
      res.end(response.body.string);
      return;
    }
    for await (const chunk of response.body.asyncIterator) res.write(chunk);
    res.end();
  };
}

/**
 * An HTTP server routing exact paths (query string ignored) to handlers; unknown paths get 404.
 * A handler that throws answers 500 and is logged: the server itself never crashes on a request.
 */
export function createHttpServer(routes: Record<string, RouteHandler>, onError: (err: unknown) => void): http.Server {
  const server = http.createServer(async (req, res) => {
    const pathname = (req.url ?? '/').split('?', 1)[0];
    const handler = routes[pathname];
    if (!handler) return sendRequestError(res, 404, 'NOT_FOUND', `no route ${pathname}`);
    try {
      await handler(req, res);
    } catch (err) {
      onError(err);
      if (!res.headersSent) sendRequestError(res, 500, 'INTERNAL_SERVER_ERROR', 'internal server error');
      else res.destroy();
    }
  });
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  return server;
}

/** Listens (port 0 = any free port) and returns the base URL actually bound. */
export function listen(server: http.Server, port: number, host = '127.0.0.1'): Promise<string> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      const address = server.address() as AddressInfo;
      const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
      resolve(`http://${shownHost}:${address.port}`);
    });
  });
}

/**
 * Stops accepting connections, lets in-flight requests finish, and closes keep-alive sockets as
 * they go idle: a socket busy at the call would otherwise stay open for the keep-alive timeout
 * (65 s) and hold up shutdown past an orchestrator's grace period.
 */
export function closeServer(server: http.Server): Promise<void> {
  return new Promise((resolve, reject) => {
    const sweeper = setInterval(() => server.closeIdleConnections(), 100);
    server.close((err) => {
      clearInterval(sweeper);
      if (err) reject(err);
      else resolve();
    });
    server.closeIdleConnections();
  });
}
