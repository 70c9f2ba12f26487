import fs from 'node:fs';
import path from 'node:path';
import type { ServerResponse } from 'node:http';
import { sendRequestError, type RouteHandler } from '../../shared/http';

/**
 * The gateway's web front end: a few static pages and assets, no build step and nothing loaded
 * from elsewhere at run time. Pages call the gateway's own GraphQL APIs with the bearer token the
 * user signs in with, so they show exactly what that token may read.
 */
const ASSETS_DIR = path.join(__dirname, 'assets');
const PAGES_DIR = path.join(__dirname, 'pages');

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.svg': 'image/svg+xml',
};

// Scripts and styles only from the gateway itself: data rendered by the pages can never run.
const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-cache',
};

/** The pages the front end serves, by path. */
export const WEB_PAGES = { '/audit': 'audit.html', '/catalog': 'catalog.html' } as const;

function fileRoute(file: string): RouteHandler {
  const body = fs.readFileSync(file);
  const type = TYPES[path.extname(file)] ?? 'application/octet-stream';
  return (req, res) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('allow', 'GET, HEAD');
      return sendRequestError(res, 405, 'METHOD_NOT_ALLOWED', `${req.method} is not allowed here; use GET`);
    }
    send(res, 200, type, req.method === 'HEAD' ? undefined : body, body.length);
  };
}

function send(res: ServerResponse, status: number, type: string, body: Buffer | undefined, length: number): void {
  res.writeHead(status, { ...SECURITY_HEADERS, 'content-type': type, 'content-length': length });
  res.end(body);
}

export type WebPage = keyof typeof WEB_PAGES;

/**
 * Routes for the web front end: the given pages (those whose API the gateway serves),
 * `/web/<asset>`, and `/` leading to the first page. No pages, no routes.
 */
export function webRoutes(pages: WebPage[]): Record<string, RouteHandler> {
  if (!pages.length) return {};
  const routes: Record<string, RouteHandler> = {};
  for (const page of pages) routes[page] = fileRoute(path.join(PAGES_DIR, WEB_PAGES[page]));
  for (const name of fs.readdirSync(ASSETS_DIR)) routes[`/web/${name}`] = fileRoute(path.join(ASSETS_DIR, name));
  const home = pages.includes('/catalog') ? '/catalog' : pages[0];
  routes['/'] = (_req, res) => {
    res.writeHead(302, { location: home, ...SECURITY_HEADERS });
    res.end();
  };
  return routes;
}
