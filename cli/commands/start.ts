import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import readline from 'node:readline';
import { dataDirOf, ensureDevSecrets } from '../../gateway/auth/dev-secrets';
import { DEFAULT_CONFIG_FILE, loadConfig } from '../../gateway/config';
import { limitHeapGrowth } from '../../gateway/heap-growth';
import { MeshgateError } from '../../shared/errors';
import { createLogger } from '../../shared/logger';
import { SUBGRAPH_NODE_FLAGS } from '../../shared/subgraph-main';
import { domainNamed } from '../../subgraphs';
import { numberFlag, parseFlags, portFlag, UsageError } from '../args';
import { reloadOnSighup } from '../../gateway/reload';
import { setUpGateway, startGateway } from './gateway';

export const help = `meshgate start [--scale 1] [--port 4000] [--config supergraph.yaml]

Starts the whole demo mesh: every domain subgraph in its own process, on the port of its
routing_url (0 = any free port), each with its own database (SQLite under .data/ unless
DATABASE_URL is set), seeded with demo data on first start; then the gateway on PORT (default
4000). Ctrl-C stops everything.`;

interface Child {
  name: string;
  process: ChildProcess;
  /** The base URL the subgraph bound, once it says it is ready. */
  ready: Promise<string>;
  exited: Promise<number | null>;
}

function spawnSubgraph(name: string, routingUrl: string, env: NodeJS.ProcessEnv): Child {
  const domain = domainNamed(name);
  if (!domain) throw new UsageError(`"${name}" in the config is not a domain of this repository; \`meshgate start\` runs the demo mesh only (use \`meshgate gateway\` for other subgraphs)`);
  const url = new URL(routingUrl);
  const main = path.join(path.dirname(domain.schemaFile), 'main.ts');
  const child = spawn(process.execPath, [...SUBGRAPH_NODE_FLAGS, '--require', require.resolve('tsx/cjs'), main], {
    env: { ...env, PORT: url.port || '80', HOST: url.hostname },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const ready = new Promise<string>((resolve) => {
    child.on('message', (message: { type?: string; url?: string }) => {
      if (message?.type === 'ready' && typeof message.url === 'string') resolve(message.url);
    });
  });
  // Children log JSON lines; relay them as `[name] message`, anything else verbatim.
  const relay = (stream: NodeJS.ReadableStream, out: NodeJS.WritableStream) =>
    readline.createInterface({ input: stream }).on('line', (line) => {
      let entry: { msg?: unknown; level?: number };
      try {
        entry = JSON.parse(line);
      } catch {
        out.write(`[${name}] ${line}\n`);
        return;
      }
      if (typeof entry.msg === 'string' && (entry.level ?? 0) >= 30) out.write(`[${name}] ${entry.msg}\n`);
    });
  relay(child.stdout!, process.stdout);
  relay(child.stderr!, process.stderr);
  return { name, process: child, ready, exited };
}

/** Waits for the subgraph's ready message and a healthy `/health`, or fails naming it. */
async function waitReady(child: Child, timeoutMs: number): Promise<string> {
  let timer: NodeJS.Timeout | undefined;
  const failed = Promise.race([
    child.exited.then((code) => {
      throw new MeshgateError('SUBGRAPH_UNAVAILABLE', `subgraph "${child.name}" exited with code ${code} before it was ready (its messages are above)`);
    }),
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new MeshgateError('SUBGRAPH_UNAVAILABLE', `subgraph "${child.name}" was not ready within ${timeoutMs / 1000} s`)), timeoutMs);
    }),
  ]);
  try {
    const url = await Promise.race([child.ready, failed]);
    const res = await fetch(`${url}/health`, { signal: AbortSignal.timeout(5_000) });
    if (!res.ok) throw new MeshgateError('SUBGRAPH_UNAVAILABLE', `subgraph "${child.name}" reports ${res.status} at ${url}/health`);
    return url;
  } finally {
    clearTimeout(timer);
  }
}

export async function run(argv: string[]): Promise<number> {
  const { values } = parseFlags(argv, { scale: { type: 'string' }, port: { type: 'string' }, config: { type: 'string' } }, 'start');
  const config = loadConfig(values.config ?? DEFAULT_CONFIG_FILE);
  const scale = numberFlag(values.scale, 'scale', numberFlag(process.env.MESHGATE_SCALE, 'scale', 1));
  const port = portFlag(values.port ?? process.env.PORT, 4000);
  // This process serves the gateway; the subgraphs run in children, with V8's own heap policy.
  limitHeapGrowth();
  // Development secrets (tokens, gateway→subgraph signing) live in the git-ignored data folder;
  // production brings its own through the environment and a JWKS.
  if (process.env.NODE_ENV !== 'production') {
    const secrets = ensureDevSecrets(dataDirOf());
    process.env.MESHGATE_JWT_SECRET ||= secrets.jwtSecret;
    process.env.MESHGATE_SUBGRAPH_SECRET ||= secrets.subgraphSecret;
  }
  const env: NodeJS.ProcessEnv = { ...process.env, MESHGATE_SCALE: String(scale) };
  delete env.PORT;

  const children = config.subgraphs.map((s) => spawnSubgraph(s.name, s.routingUrl, env));
  try {
    process.stdout.write(`starting ${children.length} subgraphs (a first start seeds demo data at scale ${scale})…\n`);
    const urls = await Promise.all(children.map((c) => waitReady(c, 600_000)));
    const routingUrls = Object.fromEntries(children.map((c, i) => [c.name, `${urls[i]}/graphql`]));
    for (const c of children) process.stdout.write(`  ✓ ${c.name.padEnd(20)} ${routingUrls[c.name]}\n`);
    // The banner below says what a newcomer needs; the gateway itself logs only warnings here.
    const logger = createLogger('gateway', process.env.MESHGATE_LOG_LEVEL ?? 'warn');
    const setup = await setUpGateway({ config: config.source }, logger);
    const { gateway, url } = await startGateway(setup, { port, host: process.env.HOST ?? '127.0.0.1' }, { routingUrls, logger, reloader: setup.reloader });
    // Schema files are watched as `meshgate.reload` says; SIGHUP recomposes now.
    reloadOnSighup(setup.reloader);
    process.stdout.write(
      `\nMeshgate gateway ready at ${url}/graphql\n` +
        `Callers without a token see PUBLIC data only. Mint a development token and ask:\n` +
        `  TOKEN=$(npm run -s meshgate -- token --sub alice --roles analyst)\n` +
        `  curl -s ${url}/graphql -H 'content-type: application/json' -H "authorization: Bearer $TOKEN" \\\n` +
        `       -d '{"query":"{ orders(first: 2) { nodes { id total customer { companyName contactName } } } }"}'\n` +
        `Data product catalog (any token): ${url}/catalog   (API: ${url}/catalog/graphql)\n` +
        `Audit trail (role auditor):       ${url}/audit     (API: ${url}/audit/graphql)\n` +
        `Ctrl-C stops the mesh.\n`,
    );
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    process.stdout.write('stopping…\n');
    await gateway.stop();
    await setup.close();
  } finally {
    for (const c of children) c.process.kill('SIGTERM');
    await Promise.all(children.map((c) => c.exited));
  }
  return 0;
}
