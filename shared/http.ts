import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type ApolloServer, type BaseContext, HeaderMap } from '@apollo/server';
import type { DirectAnswer } from './validated-queries';

export type RouteHandler = (req: IncomingMessage, res: ServerResponse) => Promise<void> | void;

/** Requests above this many bytes are refused with 413 (a bare Apollo Server accepts 50 MB). */
export const DEFAULT_MAX_BODY_BYTES = 2 * 1024 * 1024;

/** A JSON answer, with any other headers given (its content type always JSON). */
export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Readonly<Record<string, string>> = {}): void {
  res.statusCode = status;
  for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
  res.setHeader('content-type', 'application/json; charset=utf-8');
  endWithText(res, JSON.stringify(body));
}

/**
 * Ends a response with a text body, encoded once into a Buffer. Given the string, Node measures
 * it (flattening a concatenated string such as Apollo's `JSON + '\n'` into a heap copy) and
 * prepends the headers to it (another copy): on `heavy`'s 189 KB answers those two copies were a
 * fifth of all the bytes the gateway allocated.
 */
export function endWithText(res: ServerResponse, text: string): void {
  const bytes = Buffer.from(text, 'utf8');
  res.setHeader('content-length', bytes.length);
  res.end(bytes);
}

/**
 * For every answer that holds governed data (the gateway's `/graphql`, the auditor and catalog
 * APIs), refusals included: it is what one caller may see after authorization, masking and row
 * rules, so no shared cache (CDN, proxy) may keep it for another. The gateway also ignores
 * subgraph cache hints: a subgraph's `public` says nothing about who may see the governed answer.
 */
export const NO_STORE: Readonly<Record<string, string>> = { 'cache-control': 'no-store' };

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

/**
 * Reads a request body, refusing one over `maxBytes` (declared or actual) with a 413 HttpError; a
 * body cut off (the client left, or the server's request timeout closed a slow drip) is a 400.
 */
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
    // Not a server fault: nothing to log as one. (A settled promise ignores later rejections.)
    req.on('error', () => reject(new HttpError(400, 'BAD_REQUEST', 'the request body was cut off before it was complete')));
  });
}

const JSON_TYPES = /^application\/(json|graphql-response\+json)\s*(;|$)/i;

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
  /** Told of every request the route itself refuses (body too large, not JSON, a batch …), before the answer is sent: to audit it. */
  onRefused?: (req: IncomingMessage, refusal: RequestRefusal) => void | Promise<void>;
  /**
   * Checks a request against its exact body bytes (empty unless POST) before anything parses or
   * executes it; a refusal is answered as is. Runs before `context`.
   */
  verify?: (req: IncomingMessage, rawBody: Buffer) => RequestRefusal | undefined | Promise<RequestRefusal | undefined>;
  /**
   * Answers a request without Apollo Server when it can (a subgraph's repeat queries: see
   * validated-queries.ts); undefined hands it to Apollo. Runs after `verify` and the body checks.
   */
  answerDirectly?: (req: IncomingMessage, body: unknown, context: () => Promise<C>) => Promise<DirectAnswer | undefined>;
  /** Set on every answer of the route, refusals included (the gateway's `cache-control: no-store`). */
  responseHeaders?: Readonly<Record<string, string>>;
  /** Told, with its context, once Apollo Server's answer to a request is serialised and sent (`answerRelease`'s `release`). */
  answered?: (context: C) => void;
}

/**
 * Serves an Apollo Server over node:http: one operation per request, as a JSON body (POST) or in
 * the query string (GET); enforces the body limit. Batches (JSON arrays) are refused: every
 * operation must get its own context, authorization and audit event.
 */
export function graphqlRoute<C extends BaseContext>(server: ApolloServer<C>, options: GraphqlRouteOptions<C>): RouteHandler {
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const refuse = async (req: IncomingMessage, res: ServerResponse, refusal: RequestRefusal) => {
    await options.onRefused?.(req, refusal);
    sendRequestError(res, refusal.status, refusal.code, refusal.message);
  };
  const responseHeaders = Object.entries(options.responseHeaders ?? {});
  return async (req, res) => {
    for (const [name, value] of responseHeaders) res.setHeader(name, value);
    let body: unknown;
    const url = req.url ?? '/';
    try {
      const raw = req.method === 'POST' ? await readBody(req, maxBodyBytes) : Buffer.alloc(0);
      const refusal = await options.verify?.(req, raw);
      if (refusal) return await refuse(req, res, refusal);
      if (req.method === 'POST') {
        const type = req.headers['content-type'] ?? '';
        if (!JSON_TYPES.test(type)) throw new HttpError(415, 'UNSUPPORTED_MEDIA_TYPE', `POST bodies must be content-type: application/json, got ${JSON.stringify(type || 'none')}`);
        const text = raw.toString('utf8');
        try {
          body = text.length ? JSON.parse(text) : undefined;
        } catch (err) {
          throw new HttpError(400, 'BAD_REQUEST', `request body is not valid JSON: ${(err as Error).message}`);
        }
        if (Array.isArray(body)) throw new HttpError(400, 'BATCHING_DISABLED', 'batched operations (a JSON array) are not accepted: send one operation per request');
      }
    } catch (err) {
      if (err instanceof HttpError) return await refuse(req, res, err);
      throw err;
    }
    const direct = await options.answerDirectly?.(req, body, () => options.context(req));
    if (direct) {
      res.setHeader('content-type', direct.contentType);
      res.statusCode = direct.status;
      endWithText(res, direct.body);
      return;
    }
    const queryStart = url.indexOf('?');
    let contextValue: C | undefined;
    const response = await server.executeHTTPGraphQLRequest({
      httpGraphQLRequest: {
        method: req.method ?? 'GET',
        headers: toHeaderMap(req),
        search: queryStart >= 0 ? url.slice(queryStart) : '',
        body,
      },
      context: async () => (contextValue = await options.context(req)),
    });
    for (const [name, value] of response.headers) res.setHeader(name, value);
    res.statusCode = response.status ?? 200;
    if (response.body.kind === 'complete') {
      endWithText(res, response.body.string);
    } else {
      for await (const chunk of response.body.asyncIterator) res.write(chunk);
      res.end();
    }
    if (contextValue !== undefined) options.answered?.(contextValue);
  };
}

/** How much and how slowly a client may send before the server closes the connection. */
export interface ConnectionLimits {
  /** Request line and headers, in bytes (Node's default 16 KiB); over it: 431. */
  maxHeaderBytes?: number;
  /** Time to receive the headers (default 10 s) and the whole request (default 30 s); past it: 408. */
  headersTimeoutMs?: number;
  requestTimeoutMs?: number;
}

/** What a client that broke the HTTP protocol or a connection limit is told before the connection closes. */
function clientErrorResponse(err: NodeJS.ErrnoException): { status: number; code: string; message: string } {
  if (err.code === 'HPE_HEADER_OVERFLOW') return { status: 431, code: 'HEADERS_TOO_LARGE', message: 'the request line and headers are too large' };
  if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') return { status: 408, code: 'REQUEST_TIMEOUT', message: 'the request was not received in time' };
  return { status: 400, code: 'BAD_REQUEST', message: 'malformed HTTP request' };
}

/**
 * An HTTP server routing exact paths (query string ignored) to handlers; unknown paths get 404.
 * A handler that throws answers 500 and is logged: the server itself never crashes on a request.
 * Slow or oversized requests are cut off with a JSON error (see ConnectionLimits).
 */
export function createHttpServer(routes: Record<string, RouteHandler>, onError: (err: unknown) => void, limits: ConnectionLimits = {}): http.Server {
  const headersTimeout = limits.headersTimeoutMs ?? 10_000;
  const requestTimeout = limits.requestTimeoutMs ?? 30_000;
  const options: http.ServerOptions = {
    maxHeaderSize: limits.maxHeaderBytes,
    headersTimeout,
    requestTimeout,
    // Node checks the timeouts on this interval (default 30 s): a fraction of them keeps them close to exact.
    connectionsCheckingInterval: Math.min(1_000, Math.max(50, Math.floor(Math.min(headersTimeout, requestTimeout) / 4))),
  };
  const server = http.createServer(options, async (req, res) => {
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
  server.on('clientError', (err: NodeJS.ErrnoException, socket) => {
    // A client that reset the socket has no one left to answer; a response already under way cannot be replaced.
    const responding = (socket as { _httpMessage?: ServerResponse })._httpMessage?.headersSent;
    if (err.code === 'ECONNRESET' || !socket.writable || responding) return socket.destroy();
    const { status, code, message } = clientErrorResponse(err);
    const payload = JSON.stringify({ errors: [{ message, extensions: { code } }] });
    socket.end(
      `HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\nconnection: close\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(payload)}\r\n\r\n${payload}`,
    );
  });
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
