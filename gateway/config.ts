import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { MeshgateError } from '../shared/errors';

/**
 * One subgraph of the supergraph, as in rover's `supergraph.yaml`: where the gateway routes its
 * requests, and where its schema comes from (a file, or the running service's `_service.sdl`).
 */
export interface SubgraphConfig {
  name: string;
  routingUrl: string;
  schema: { file: string } | { subgraphUrl: string };
  /** The domain's data-product descriptor (Meshgate extension: `descriptor: ./data-product.yaml`), absolute. */
  descriptor?: string;
  /** Inline owner (Meshgate extension): stands in for the descriptor's `owner` keys, never for the descriptor. */
  owner?: { team?: string; contact?: string };
}

export interface MeshgateConfig {
  /** The file the configuration was read from; relative paths resolve against its folder. */
  source: string;
  /** The folder relative paths in the config resolve against. */
  baseDir: string;
  subgraphs: SubgraphConfig[];
  /** The `meshgate:` section (auth, policy, governance …), each part validated by its own module. */
  settings: Record<string, unknown>;
}

export const DEFAULT_CONFIG_FILE = 'supergraph.yaml';

/** `SUBGRAPH_<NAME>_URL` overrides a subgraph's routing URL (`customer-experience` → `CUSTOMER_EXPERIENCE`). */
export function routingUrlEnvVar(subgraph: string): string {
  return `SUBGRAPH_${subgraph.replace(/[^a-zA-Z0-9]/g, '_').toUpperCase()}_URL`;
}

function invalid(source: string, message: string): never {
  throw new MeshgateError('CONFIG_INVALID', `${source}: ${message}`);
}

function checkUrl(source: string, where: string, value: unknown): string {
  if (typeof value !== 'string' || !/^https?:\/\/[^\s]+$/.test(value)) {
    invalid(source, `${where} must be an http(s) URL, got ${JSON.stringify(value)}`);
  }
  return value;
}

/** Parses and validates a supergraph config; every problem is reported with where it is. */
export function parseConfig(text: string, source: string, env: NodeJS.ProcessEnv = process.env): MeshgateConfig {
  let doc: any;
  try {
    doc = YAML.parse(text);
  } catch (err) {
    invalid(source, `not valid YAML: ${(err as Error).message.split('\n')[0]}`);
  }
  if (!doc || typeof doc !== 'object') invalid(source, 'expected a mapping with a `subgraphs` section');
  const entries = doc.subgraphs;
  if (!entries || typeof entries !== 'object' || Array.isArray(entries) || Object.keys(entries).length === 0) {
    invalid(source, '`subgraphs` must map each subgraph name to { routing_url, schema }');
  }
  const baseDir = path.dirname(path.resolve(source));
  const subgraphs = Object.entries<any>(entries).map(([name, entry]): SubgraphConfig => {
    if (!/^[a-zA-Z][a-zA-Z0-9_-]*$/.test(name)) invalid(source, `subgraph name "${name}" must start with a letter and use letters, digits, - or _`);
    if (!entry || typeof entry !== 'object') invalid(source, `subgraphs.${name} must be a mapping`);
    const routingUrl = checkUrl(source, `${routingUrlEnvVar(name)}`, env[routingUrlEnvVar(name)] ?? checkUrl(source, `subgraphs.${name}.routing_url`, entry.routing_url));
    const extras: Pick<SubgraphConfig, 'descriptor' | 'owner'> = {};
    if (entry.descriptor !== undefined) {
      if (typeof entry.descriptor !== 'string') invalid(source, `subgraphs.${name}.descriptor must be a file path`);
      extras.descriptor = path.resolve(baseDir, entry.descriptor);
    }
    if (entry.owner !== undefined) {
      if (!entry.owner || typeof entry.owner !== 'object') invalid(source, `subgraphs.${name}.owner must be a mapping with team and contact`);
      extras.owner = { team: entry.owner.team, contact: entry.owner.contact };
    }
    const schema = entry.schema ?? { subgraph_url: entry.routing_url };
    if (typeof schema.file === 'string') return { name, routingUrl, schema: { file: path.resolve(baseDir, schema.file) }, ...extras };
    if (schema.subgraph_url !== undefined) {
      return { name, routingUrl, schema: { subgraphUrl: checkUrl(source, `subgraphs.${name}.schema.subgraph_url`, schema.subgraph_url) }, ...extras };
    }
    return invalid(source, `subgraphs.${name}.schema needs \`file\` or \`subgraph_url\``);
  });
  const settings = doc.meshgate ?? {};
  if (typeof settings !== 'object' || Array.isArray(settings)) invalid(source, '`meshgate` must be a mapping (auth, policy, governance …)');
  return { source, baseDir, subgraphs, settings };
}

export function loadConfig(file = DEFAULT_CONFIG_FILE, env: NodeJS.ProcessEnv = process.env): MeshgateConfig {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    throw new MeshgateError('CONFIG_INVALID', `cannot read config file ${file}`);
  }
  return parseConfig(text, file, env);
}
