import type { IncomingMessage, ServerResponse } from 'node:http';
import { context, propagation, SpanKind, SpanStatusCode, trace, type Span } from '@opentelemetry/api';
import type { Fetcher, FetcherRequestInit } from '@apollo/utils.fetcher';
import { MeshgateError } from '../../shared/errors';
import type { RouteHandler } from '../../shared/http';
import type { MeshgatePlugin } from '../plugins/types';
import { classifySubgraphFailure } from '../subgraph-failure';

/**
 * OpenTelemetry tracing, switched on by the standard variables: `OTEL_TRACES_EXPORTER` (`otlp`,
 * `console` or `none`) or, without it, an OTLP endpoint (`OTEL_EXPORTER_OTLP_ENDPOINT` /
 * `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`). `OTEL_SDK_DISABLED=true` wins. Off by default.
 */
export function tracingRequested(env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.OTEL_SDK_DISABLED === 'true') return false;
  const exporter = env.OTEL_TRACES_EXPORTER?.trim();
  if (exporter) return exporter !== 'none';
  return Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT);
}

interface Tracing {
  forceFlush(): Promise<void>;
  shutdown(): Promise<void>;
}

let active: Tracing | undefined;

/** Whether this process traces. Everything below checks it once, when built: off costs nothing per request. */
export function tracingEnabled(): boolean {
  return active !== undefined;
}

/**
 * Starts the tracing SDK for this process when the environment asks for it (see
 * `tracingRequested`): W3C trace context in and out, spans batched to the exporter. Loads no SDK
 * module otherwise. Call before building the gateway. Idempotent.
 */
export function startTracing(options: { env?: NodeJS.ProcessEnv; serviceName?: string } = {}): boolean {
  const env = options.env ?? process.env;
  if (active) return true;
  if (!tracingRequested(env)) return false;
  // Required lazily: a gateway without tracing never loads the SDK.
  const { NodeTracerProvider } = require('@opentelemetry/sdk-trace-node') as typeof import('@opentelemetry/sdk-trace-node');
  const { BatchSpanProcessor, ConsoleSpanExporter } = require('@opentelemetry/sdk-trace-base') as typeof import('@opentelemetry/sdk-trace-base');
  const { Resource, envDetectorSync } = require('@opentelemetry/resources') as typeof import('@opentelemetry/resources');
  const kind = env.OTEL_TRACES_EXPORTER?.trim() || 'otlp';
  let exporter;
  if (kind === 'otlp') {
    const { OTLPTraceExporter } = require('@opentelemetry/exporter-trace-otlp-http') as typeof import('@opentelemetry/exporter-trace-otlp-http');
    exporter = new OTLPTraceExporter(); // reads OTEL_EXPORTER_OTLP_(TRACES_)ENDPOINT / _HEADERS itself
  } else if (kind === 'console') {
    exporter = new ConsoleSpanExporter();
  } else {
    throw new MeshgateError('CONFIG_INVALID', `OTEL_TRACES_EXPORTER must be otlp, console or none, got ${JSON.stringify(kind)}`);
  }
  const resource = new Resource({ 'service.name': env.OTEL_SERVICE_NAME || options.serviceName || 'meshgate-gateway' }).merge(envDetectorSync.detect());
  const provider = new NodeTracerProvider({ resource, spanProcessors: [new BatchSpanProcessor(exporter)] });
  provider.register(); // AsyncLocalStorage context and the W3C trace-context + baggage propagator
  active = provider;
  return true;
}

/** Exports what is buffered and stops tracing (at process exit, after the gateway stopped). */
export async function stopTracing(): Promise<void> {
  const tracing = active;
  active = undefined;
  await tracing?.shutdown();
}

/** Sends what is buffered now (tests read their receiver right after a request). */
export async function flushTracing(): Promise<void> {
  await active?.forceFlush();
}

const tracer = () => trace.getTracer('meshgate');

function endWith(span: Span, failed: boolean): void {
  if (failed) span.setStatus({ code: SpanStatusCode.ERROR });
  span.end();
}

/**
 * The server span of one HTTP request, continuing the caller's trace when it sent `traceparent`.
 * Every pipeline step, Apollo's own gateway spans and each subgraph call nest under it.
 */
export function tracedRoute(name: string, handler: RouteHandler): RouteHandler {
  if (!tracingEnabled()) return handler;
  return (req: IncomingMessage, res: ServerResponse) => {
    const parent = propagation.extract(context.active(), req.headers);
    return tracer().startActiveSpan(name, { kind: SpanKind.SERVER, attributes: { 'http.request.method': req.method ?? 'GET', 'http.route': name.split(' ').pop() } }, parent, async (span) => {
      let failed = true;
      try {
        await handler(req, res);
        span.setAttribute('http.response.status_code', res.statusCode);
        failed = res.statusCode >= 500;
      } finally {
        endWith(span, failed);
      }
    });
  };
}

/** A span per subgraph call, whose context goes to the subgraph as W3C `traceparent`. */
export function tracedFetcher(fetcher: Fetcher, subgraph: string): Fetcher {
  return ((url: string, init: FetcherRequestInit = {}) =>
    tracer().startActiveSpan(`subgraph ${subgraph}`, { kind: SpanKind.CLIENT, attributes: { 'meshgate.subgraph': subgraph, 'http.request.method': init.method ?? 'POST' } }, async (span) => {
      const headers: Record<string, string> = { ...init.headers };
      propagation.inject(context.active(), headers);
      let failed = true;
      try {
        const res = await fetcher(url, { ...init, headers });
        span.setAttribute('http.response.status_code', res.status);
        failed = !res.ok;
        return res;
      } catch (err) {
        // The code only: error texts name hosts and ports, which the trace store need not keep.
        span.setAttribute('meshgate.error.code', classifySubgraphFailure(err).code);
        throw err;
      } finally {
        endWith(span, failed);
      }
    })) as Fetcher;
}

type Hook = (...args: unknown[]) => unknown;

/** Runs `hook` in a span named for the step and hook; a returned promise ends it when settled. */
function tracedHook(spanName: string, hook: Hook): Hook {
  return function (this: unknown, ...args: unknown[]) {
    return tracer().startActiveSpan(spanName, (span) => {
      try {
        const result = hook.apply(this, args);
        if (result instanceof Promise) {
          return result.then(
            (value) => (endWith(span, false), value),
            (err) => (endWith(span, true), Promise.reject(err)),
          );
        }
        endWith(span, false);
        return result;
      } catch (err) {
        endWith(span, true);
        throw err;
      }
    });
  };
}

function tracedHooks<T extends object>(prefix: string, hooks: T): T {
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(hooks)) out[name] = typeof value === 'function' ? tracedHook(`${prefix}.${name}`, value as Hook) : value;
  return out as T;
}

/**
 * A pipeline step whose hooks each run in a span (`meshgate.authorize.didResolveOperation` …):
 * where a request spends its time in the pipeline, beside Apollo's plan, execute and fetch spans.
 */
export function tracedPlugin(plugin: MeshgatePlugin): MeshgatePlugin {
  if (!tracingEnabled()) return plugin;
  const prefix = `meshgate.${plugin.name}`;
  const traced: MeshgatePlugin = { ...plugin };
  if (plugin.prepareContext) traced.prepareContext = tracedHook(`${prefix}.prepareContext`, plugin.prepareContext.bind(plugin) as Hook) as MeshgatePlugin['prepareContext'];
  const requestDidStart = plugin.apollo?.requestDidStart;
  if (plugin.apollo && requestDidStart) {
    traced.apollo = {
      ...plugin.apollo,
      async requestDidStart(rc) {
        const listener = await requestDidStart.call(plugin.apollo, rc);
        return listener ? tracedHooks(prefix, listener) : listener;
      },
    };
  }
  return traced;
}
