import fs from 'node:fs';
import { describe, expect, it, vi } from 'vitest';
import YAML from 'yaml';
import { createAuditWriter } from '../../gateway/audit/writer';
import { loadConfig, routingUrlEnvVar } from '../../gateway/config';
import { DEFAULT_SUBGRAPH_TIMEOUT_MS } from '../../gateway/fetcher';
import { GATEWAY_NODE_FLAGS } from '../../gateway/heap-growth';
import { SUBGRAPH_NODE_FLAGS } from '../../shared/subgraph-main';
import { subgraphTimeouts } from '../../gateway/subgraph-timeouts';
import { dbConfigFromEnv } from '../../shared/db';
import { domains } from '../../subgraphs';
import { auditEvent } from '../support/audit-events';
import { captureLog } from '../support/log-capture';

// compose.yaml describes production; the code reads its own defaults and environment. These
// checks keep the two from drifting: names, ports and variables must be the ones the code uses.
// Merge keys (<<: *subgraph-env) as Docker Compose applies them.
const compose = YAML.parse(fs.readFileSync('compose.yaml', 'utf8'), { merge: true });
const config = loadConfig('supergraph.yaml', {});
/** The gateway replicas (gateway-1, gateway-2 …), all built from the same anchor. */
const gateways = Object.keys(compose.services).filter((name) => /^gateway-\d+$/.test(name));
const envOf = (service: string): Record<string, string> => {
  const env = compose.services[service].environment;
  return Object.fromEntries(Object.entries(env).map(([k, v]) => [k, String(v).replace(/\$\{[^}]+\}/g, 'x')]));
};

describe('compose.yaml agrees with the code', () => {
  it('has one service per subgraph in supergraph.yaml, named alike, plus postgres, two gateway replicas and the load balancer', () => {
    expect(gateways).toEqual(['gateway-1', 'gateway-2']);
    expect(Object.keys(compose.services).sort()).toEqual([...config.subgraphs.map((s) => s.name), ...gateways, 'lb', 'postgres'].sort());
    expect(config.subgraphs.map((s) => s.name).sort()).toEqual(Object.keys(domains).sort());
  });

  it.each(Object.values(domains).map((d) => [d.name, d] as const))('runs %s on its routing port, in its own PostgreSQL schema', (name, domain) => {
    const env = envOf(name);
    const routing = new URL(config.subgraphs.find((s) => s.name === name)!.routingUrl);
    expect(Number(env.PORT)).toBe(Number(routing.port));
    expect(Number(env.PORT)).toBe(domain.defaultPort);
    expect(compose.services[name].command).toEqual(['node', ...SUBGRAPH_NODE_FLAGS, 'bin/meshgate', 'subgraph', name]);
    expect(dbConfigFromEnv(name, env)).toEqual({ url: env.DATABASE_URL, schema: env.DB_SCHEMA });
    expect(dbConfigFromEnv(name, { DATABASE_URL: env.DATABASE_URL }).schema).toBe(env.DB_SCHEMA);
  });

  it.each(gateways)('points %s at every subgraph service through SUBGRAPH_<NAME>_URL', (gateway) => {
    const env = envOf(gateway);
    const routed = loadConfig('supergraph.yaml', env);
    for (const s of routed.subgraphs) {
      expect(env[routingUrlEnvVar(s.name)]).toBeDefined();
      const url = new URL(s.routingUrl);
      expect(url.hostname).toBe(s.name);
      expect(url.port).toBe(envOf(s.name).PORT);
      expect(compose.services[gateway].depends_on[s.name]).toEqual({ condition: 'service_healthy' });
    }
    expect(env.PORT).toBe('4000');
    expect(compose.services[gateway].command).toEqual(['node', ...GATEWAY_NODE_FLAGS, 'bin/meshgate', 'gateway', '--config', 'supergraph.yaml']);
    // Replicas are reached through the load balancer only.
    expect(compose.services[gateway].ports).toBeUndefined();
    expect(compose.services[gateway].healthcheck.test.join(' ')).toContain('http://127.0.0.1:4000/health/live');
  });

  it('gives the replicas one audit database, in its own schema, and a hash chain each', () => {
    const envs = gateways.map(envOf);
    expect(new Set(envs.map((e) => e.MESHGATE_REPLICA_ID)).size).toBe(gateways.length);
    expect(envs.map((e) => e.MESHGATE_REPLICA_ID)).toEqual(gateways);
    for (const env of envs) {
      expect(env.MESHGATE_AUDIT_DATABASE_URL).toBe(envs[0].MESHGATE_AUDIT_DATABASE_URL);
      expect(env.MESHGATE_AUDIT_DB_SCHEMA).toBe('audit');
    }
    const audit = new URL(envs[0].MESHGATE_AUDIT_DATABASE_URL);
    expect(audit.hostname).toBe('postgres');
    expect(audit.pathname).toBe(`/${compose.services.postgres.environment.POSTGRES_DB}`);
    // The audit schema is nobody's domain schema, in the same database as the domains.
    const domainSchemas = Object.keys(domains).map((name) => envOf(name).DB_SCHEMA);
    expect(new Set([...domainSchemas, 'audit']).size).toBe(domainSchemas.length + 1);
    for (const name of Object.keys(domains)) expect(new URL(envOf(name).DATABASE_URL).pathname).toBe(audit.pathname);
    for (const gateway of gateways) expect(compose.services[gateway].depends_on.postgres).toEqual({ condition: 'service_healthy' });
  });

  it('drains a replica on SIGTERM within the grace period: requests, then the audit queue (or its loss, logged), before SIGKILL', async () => {
    const timeouts = subgraphTimeouts(config.settings.subgraphs, config.subgraphs.map((s) => s.name));
    const deadline = Math.max(timeouts.timeoutMs ?? DEFAULT_SUBGRAPH_TIMEOUT_MS, ...Object.values(timeouts.bySubgraph));
    const closeTimeout = await auditCloseTimeout();
    for (const gateway of gateways) expect(durationMs(compose.services[gateway].stop_grace_period)).toBeGreaterThanOrEqual(deadline + closeTimeout + 10_000);
    expect(fs.readFileSync('Dockerfile', 'utf8')).toMatch(/^STOPSIGNAL SIGTERM$/m);
  });

  it("starts the image's gateway with the gateway's Node flags, as compose does", () => {
    const cmd = fs.readFileSync('Dockerfile', 'utf8').match(/^CMD (.*)$/m)?.[1];
    expect(JSON.parse(cmd ?? 'null')).toEqual(['node', ...GATEWAY_NODE_FLAGS, 'bin/meshgate', 'gateway', '--config', 'supergraph.yaml']);
  });

  it('balances port 4000 over every replica and keeps /metrics internal', () => {
    const lb = compose.services.lb;
    expect(lb.ports).toEqual(['4000:4000']);
    const nginx: string = compose.configs[lb.configs[0].source].content;
    const upstreams = [...nginx.matchAll(/server (\S+):(\d+);/g)].map((m) => `${m[1]}:${m[2]}`);
    expect(upstreams).toEqual(gateways.map((g) => `${g}:${envOf(g).PORT}`));
    expect(nginx).toMatch(/location = \/metrics \{ return 404; \}/);
    for (const gateway of gateways) expect(lb.depends_on[gateway]).toEqual({ condition: 'service_healthy' });
  });

  it('sets only variables the code reads, and .env.example documents every one it takes from .env', () => {
    const source = ['gateway', 'shared', 'cli']
      .flatMap((dir) => fs.readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts')).map((f) => fs.readFileSync(`${dir}/${f}`, 'utf8')))
      .join('\n');
    for (const service of Object.keys(compose.services)) {
      for (const name of Object.keys(compose.services[service].environment ?? {})) {
        if (/^(MESHGATE_|OTEL_)/.test(name)) expect(source, `${service}: ${name}`).toContain(name);
      }
    }
    const text = fs.readFileSync('compose.yaml', 'utf8');
    const fromEnv = new Set([...text.matchAll(/\$\{([A-Z_]+)/g)].map((m) => m[1]));
    const example = fs.readFileSync('.env.example', 'utf8');
    const documented = new Set([...example.matchAll(/^([A-Z_]+)=/gm)].map((m) => m[1]));
    expect([...fromEnv].sort()).toEqual([...documented].sort());
  });

  it('keeps secrets out of the file, and gives gateway and subgraphs the same signing secret', () => {
    expect(compose.services.postgres.environment.POSTGRES_PASSWORD).toMatch(/^\$\{POSTGRES_PASSWORD/);
    for (const service of [...config.subgraphs.map((s) => s.name), ...gateways]) {
      expect(compose.services[service].environment.MESHGATE_SUBGRAPH_SECRET, service).toMatch(/^\$\{MESHGATE_SUBGRAPH_SECRET:\?/);
      expect(compose.services[service].environment.NODE_ENV, service).toBe('production');
    }
    for (const gateway of gateways) expect(compose.services[gateway].environment.MESHGATE_JWKS_URL).toMatch(/^\$\{MESHGATE_JWKS_URL:\?/);
    const example = fs.readFileSync('.env.example', 'utf8');
    for (const name of ['POSTGRES_PASSWORD', 'MESHGATE_SUBGRAPH_SECRET', 'MESHGATE_JWKS_URL']) expect(example).toContain(`${name}=`);
  });
});

/** A compose duration (`75s`, `1m30s`) in ms. */
function durationMs(value: string): number {
  const match = /^(?:(\d+)m)?(?:(\d+)s)?$/.exec(value);
  if (!match || value === '') throw new Error(`not a compose duration: ${value}`);
  return (Number(match[1] ?? 0) * 60 + Number(match[2] ?? 0)) * 1000;
}

/** How long the audit writer's close() waits, by default, for a store that never answers before it gives up. */
async function auditCloseTimeout(): Promise<number> {
  vi.useFakeTimers();
  try {
    const writer = createAuditWriter({ append: () => new Promise<void>(() => undefined), close: async () => undefined }, { logger: captureLog('silent').logger });
    writer.append(auditEvent());
    const started = Date.now();
    let gaveUpAfter: number | undefined;
    writer.close().catch(() => (gaveUpAfter = Date.now() - started));
    while (gaveUpAfter === undefined && Date.now() - started < 600_000) await vi.advanceTimersByTimeAsync(1_000);
    if (gaveUpAfter === undefined) throw new Error('the audit writer never gives up on a store that does not answer');
    return gaveUpAfter;
  } finally {
    vi.useRealTimers();
  }
}
