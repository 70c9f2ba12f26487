import fs from 'node:fs';
import { composeFromConfig, descriptorOf, formatProblems } from '../../gateway/compose';
import { DEFAULT_CONFIG_FILE, loadConfig } from '../../gateway/config';
import { checkSupergraphClassification } from '../../gateway/governance/supergraph-check';
import { probeSubgraphs } from '../../gateway/health';
import { limitHeapGrowth } from '../../gateway/heap-growth';
import { auditApi, type AuditApiFactory } from '../../gateway/audit/api';
import { auditSettings } from '../../gateway/audit/settings';
import { lazyAuditStore } from '../../gateway/audit/store';
import { createAuditWriter } from '../../gateway/audit/writer';
import { catalogApi } from '../../gateway/catalog/api';
import { productsOfSubgraphs } from '../../gateway/catalog/products';
import type { EndpointFactory } from '../../gateway/governed-endpoint';
import { createGatewayMetrics, type GatewayMetrics } from '../../gateway/observability/metrics';
import { startTracing, stopTracing } from '../../gateway/observability/tracing';
import { createPipeline } from '../../gateway/pipeline';
import type { MeshgatePlugin } from '../../gateway/plugins/types';
import { createGateway, type MeshgateGateway } from '../../gateway/server';
import { reloaderFor, reloadOnSighup, type SupergraphReloader } from '../../gateway/reload';
import { subgraphTimeouts, type SubgraphTimeouts } from '../../gateway/subgraph-timeouts';
import { subgraphsOfSupergraph } from '../../gateway/supergraph';
import type { Level } from '../../shared/classification';
import { MeshgateError } from '../../shared/errors';
import { createLogger, type Logger } from '../../shared/logger';
import { parseFlags, portFlag } from '../args';

export const help = `meshgate gateway [--supergraph FILE] [--config supergraph.yaml] [--port 4000] [--host 127.0.0.1]

Serves any Federation 2 supergraph, governed: from a composed file (--supergraph), or composed at
start-up from the subgraphs in the config. The config's \`meshgate:\` section sets authentication,
the policy file and the governance mode (used with --supergraph too; default supergraph.yaml when
present). PORT and HOST also apply; SUBGRAPH_<NAME>_URL overrides a subgraph's routing URL.`;

/**
 * Loads the supergraph from a file, or composes it from a config; either way governed: a
 * field without classification fails with GOVERNANCE_FAILED (listing every one) unless the
 * policy gives a default classification.
 */
export async function loadSupergraph(flags: { supergraph?: string; config?: string; defaultClassification?: Level }): Promise<string> {
  const { defaultClassification } = flags;
  if (flags.supergraph) {
    let supergraphSdl: string;
    try {
      supergraphSdl = fs.readFileSync(flags.supergraph, 'utf8');
    } catch {
      throw new MeshgateError('CONFIG_INVALID', `cannot read supergraph file ${flags.supergraph}`);
    }
    subgraphsOfSupergraph(supergraphSdl); // not a supergraph at all: CONFIG_INVALID, before governance
    const problems = checkSupergraphClassification(supergraphSdl, { defaultClassification, source: flags.supergraph });
    const errors = problems.filter((p) => p.severity === 'error');
    if (errors.length) {
      throw new MeshgateError('GOVERNANCE_FAILED', `supergraph ${flags.supergraph} fails governance with ${errors.length} problem(s):\n${formatProblems(errors)}`, { problems: errors });
    }
    for (const warning of problems) process.stderr.write(`warning: ${warning.code}: ${warning.message}\n`);
    return supergraphSdl;
  }
  return composeFromConfig(loadConfig(flags.config ?? DEFAULT_CONFIG_FILE).subgraphs, {
    defaultClassification,
    onWarning: (warning) => process.stderr.write(`warning: ${warning.code}: ${warning.message}\n`),
  });
}

/** The settings' pipeline (authentication, policy, governance mode) and the supergraph it governs. */
export interface GatewaySetup {
  supergraphSdl: string;
  plugins: MeshgatePlugin[];
  /** The auditor API (`POST /audit/graphql`) over the same audit store. */
  auditApi: AuditApiFactory;
  /** The catalog API (`POST /catalog/graphql`): the config's data products, usage from the same audit store. */
  catalogApi: EndpointFactory;
  /** Writes the audit events still queued and releases the audit store: call after the gateway stopped. */
  close(): Promise<void>;
  /** Hot reload of the supergraph: polls as `meshgate.reload` says, and on `reload()` (SIGHUP). */
  reloader: SupergraphReloader;
  /** Served at `GET /metrics`; the pipeline's metrics step and the audit writer feed it. */
  metrics: GatewayMetrics;
  /** Subgraph deadlines from `meshgate.subgraphs` (default 30 s each). */
  timeouts: SubgraphTimeouts;
}

/**
 * The governed pipeline the settings describe (authentication, policy, governance mode, audit to
 * the store and with the writer settings of `meshgate.audit` and its environment variables) and
 * the supergraph it governs.
 */
export async function setUpGateway(flags: { supergraph?: string; config?: string }, logger?: Logger): Promise<GatewaySetup> {
  const configFile = flags.config ?? (fs.existsSync(DEFAULT_CONFIG_FILE) ? DEFAULT_CONFIG_FILE : undefined);
  const config = configFile ? loadConfig(configFile) : undefined;
  // meshgate.audit in the config, each key overridden by its environment variable.
  const settings = auditSettings(config?.settings ?? {}, config?.baseDir ?? process.cwd());
  // The store opens lazily: the gateway starts while it is down, and fails closed (by default for RESTRICTED data).
  const store = lazyAuditStore(settings.store);
  const audit = createAuditWriter(store, { ...settings.writer, logger });
  const metrics = createGatewayMetrics();
  metrics.watchAudit(() => audit.stats());
  const { plugins, policy } = createPipeline({ settings: config?.settings ?? {}, baseDir: config?.baseDir ?? process.cwd(), logger, audit, metrics });
  // The auditor API reads the store the writer appends to (opened lazily too) and audits itself to the same sink.
  const api = auditApi({ store: store.open, sink: audit, policy, logger });
  const load = () => loadSupergraph({ supergraph: flags.supergraph, config: configFile, defaultClassification: policy.defaultClassification });
  const supergraphSdl = await load();
  const reloader = reloaderFor({ supergraphFile: flags.supergraph, config }, load, logger ?? createLogger('gateway'));
  // Descriptors are read again with each supergraph the gateway loads: a reload may add a domain.
  const products = () => (configFile ? productsOfSubgraphs(loadConfig(configFile).subgraphs.map((s) => ({ name: s.name, descriptor: descriptorOf(s) }))) : []);
  const catalog = catalogApi({ products, store: store.open, sink: audit, policy, logger });
  const timeouts = subgraphTimeouts(config?.settings.subgraphs, subgraphsOfSupergraph(supergraphSdl).map((s) => s.name));
  return { supergraphSdl, reloader, plugins, auditApi: api, catalogApi: catalog, close: () => audit.close(), metrics, timeouts };
}

/** Starts a gateway, then says which subgraphs do not answer yet: by name, not with a stack trace. */
export async function startGateway(
  setup: Pick<GatewaySetup, 'supergraphSdl' | 'plugins' | 'auditApi' | 'catalogApi'> & Partial<Pick<GatewaySetup, 'metrics' | 'timeouts'>>,
  listenOn: { port: number; host: string },
  options: { routingUrls?: Record<string, string>; logger?: Logger; reloader?: SupergraphReloader } = {},
): Promise<{ gateway: MeshgateGateway; url: string }> {
  const { supergraphSdl, plugins, auditApi, catalogApi, metrics, timeouts } = setup;
  const gateway = await createGateway({
    supergraphSdl,
    plugins,
    auditApi,
    catalogApi,
    metrics,
    subgraphTimeoutMs: timeouts?.timeoutMs,
    subgraphTimeouts: timeouts?.bySubgraph,
    ...options,
  });
  const { port, host } = listenOn;
  const url = await gateway.listen(port, host);
  for (const health of await probeSubgraphs(gateway.subgraphs)) {
    if (!health.up) {
      const subgraph = gateway.subgraphs.find((s) => s.name === health.name)!;
      process.stderr.write(
        `warning: subgraph "${health.name}" at ${subgraph.url} is not answering (${health.reason}); ` +
          `its fields return errors until it does. GET ${url}/health shows readiness.\n`,
      );
    }
  }
  return { gateway, url };
}

/**
 * Stops in order: HTTP drained (in-flight requests answered), the audit queue written, traces sent.
 * Returns the exit code: 1, logged, when a step failed, e.g. the audit writer giving up with events
 * unwritten, so an orchestrator sees the loss instead of a clean exit. Later steps run regardless.
 */
export async function stopGateway(gateway: Pick<MeshgateGateway, 'stop'>, closeAudit: () => Promise<void>, logger: Logger): Promise<number> {
  let exitCode = 0;
  const failed = (step: string) => (err: unknown) => {
    exitCode = 1;
    logger.error({ err, code: err instanceof MeshgateError ? err.code : 'INTERNAL_SERVER_ERROR' }, `shutdown: ${step} failed; exiting 1`);
  };
  await gateway.stop().catch(failed('stopping the gateway'));
  await closeAudit().catch(failed('writing the queued audit events'));
  await stopTracing().catch(failed('sending the buffered traces'));
  return exitCode;
}

export async function run(argv: string[]): Promise<number> {
  const { values } = parseFlags(argv, { supergraph: { type: 'string' }, config: { type: 'string' }, port: { type: 'string' }, host: { type: 'string' } }, 'gateway');
  limitHeapGrowth();
  // Before anything is built: the gateway's spans need the tracer provider (off unless OTEL_* ask).
  startTracing();
  const setup = await setUpGateway(values);
  const port = portFlag(values.port ?? process.env.PORT, 4000);
  const { gateway, url } = await startGateway(setup, { port, host: values.host ?? process.env.HOST ?? '127.0.0.1' }, { reloader: setup.reloader });
  reloadOnSighup(setup.reloader);
  process.stdout.write(`Meshgate gateway serving ${gateway.subgraphs.length} subgraphs at ${url}/graphql\n`);
  await new Promise<void>((resolve) => {
    process.once('SIGTERM', resolve);
    process.once('SIGINT', resolve);
  });
  // In-flight requests finish, then every queued audit event is written before exit.
  return stopGateway(gateway, setup.close, createLogger('gateway'));
}
