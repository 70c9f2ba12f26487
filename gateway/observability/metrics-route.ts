import type { Registry } from 'prom-client';
import { sendRequestError, type RouteHandler } from '../../shared/http';

/** `GET /metrics`: the registry in Prometheus' text format, for a scraper on the internal network. */
export function metricsRoute(registry: Registry): RouteHandler {
  return async (req, res) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return sendRequestError(res, 405, 'BAD_REQUEST', 'GET /metrics');
    const body = await registry.metrics();
    res.writeHead(200, { 'content-type': registry.contentType, 'content-length': Buffer.byteLength(body) });
    res.end(req.method === 'HEAD' ? undefined : body);
  };
}
