import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { loadConfig, routingUrlEnvVar } from '../../gateway/config';
import { dbConfigFromEnv } from '../../shared/db';
import { domains } from '../../subgraphs';

// compose.yaml describes production; the code reads its own defaults and environment. These
// checks keep the two from drifting: names, ports and variables must be the ones the code uses.
// Merge keys (<<: *subgraph-env) as Docker Compose applies them.
const compose = YAML.parse(fs.readFileSync('compose.yaml', 'utf8'), { merge: true });
const config = loadConfig('supergraph.yaml', {});
const envOf = (service: string): Record<string, string> => {
  const env = compose.services[service].environment;
  return Object.fromEntries(Object.entries(env).map(([k, v]) => [k, String(v).replace(/\$\{[^}]+\}/g, 'x')]));
};

describe('compose.yaml agrees with the code', () => {
  it('has one service per subgraph in supergraph.yaml, named alike, plus postgres and the gateway', () => {
    expect(Object.keys(compose.services).sort()).toEqual([...config.subgraphs.map((s) => s.name), 'gateway', 'postgres'].sort());
    expect(config.subgraphs.map((s) => s.name).sort()).toEqual(Object.keys(domains).sort());
  });

  it.each(Object.values(domains).map((d) => [d.name, d] as const))('runs %s on its routing port, in its own PostgreSQL schema', (name, domain) => {
    const env = envOf(name);
    const routing = new URL(config.subgraphs.find((s) => s.name === name)!.routingUrl);
    expect(Number(env.PORT)).toBe(Number(routing.port));
    expect(Number(env.PORT)).toBe(domain.defaultPort);
    expect(compose.services[name].command).toEqual(['node', 'bin/meshgate', 'subgraph', name]);
    expect(dbConfigFromEnv(name, env)).toEqual({ url: env.DATABASE_URL, schema: env.DB_SCHEMA });
    expect(dbConfigFromEnv(name, { DATABASE_URL: env.DATABASE_URL }).schema).toBe(env.DB_SCHEMA);
  });

  it('points the gateway at every subgraph service through SUBGRAPH_<NAME>_URL', () => {
    const env = envOf('gateway');
    const routed = loadConfig('supergraph.yaml', env);
    for (const s of routed.subgraphs) {
      expect(env[routingUrlEnvVar(s.name)]).toBeDefined();
      const url = new URL(s.routingUrl);
      expect(url.hostname).toBe(s.name);
      expect(url.port).toBe(envOf(s.name).PORT);
      expect(compose.services.gateway.depends_on[s.name]).toEqual({ condition: 'service_healthy' });
    }
    expect(env.PORT).toBe('4000');
    expect(compose.services.gateway.ports).toEqual(['4000:4000']);
  });

  it('keeps secrets out of the file, and gives gateway and subgraphs the same signing secret', () => {
    expect(compose.services.postgres.environment.POSTGRES_PASSWORD).toMatch(/^\$\{POSTGRES_PASSWORD/);
    for (const service of [...config.subgraphs.map((s) => s.name), 'gateway']) {
      expect(compose.services[service].environment.MESHGATE_SUBGRAPH_SECRET, service).toMatch(/^\$\{MESHGATE_SUBGRAPH_SECRET:\?/);
      expect(compose.services[service].environment.NODE_ENV, service).toBe('production');
    }
    expect(compose.services.gateway.environment.MESHGATE_JWKS_URL).toMatch(/^\$\{MESHGATE_JWKS_URL:\?/);
    const example = fs.readFileSync('.env.example', 'utf8');
    for (const name of ['POSTGRES_PASSWORD', 'MESHGATE_SUBGRAPH_SECRET', 'MESHGATE_JWKS_URL']) expect(example).toContain(`${name}=`);
  });
});
