import fs from 'node:fs';
import path from 'node:path';
import { composeServices } from '@apollo/composition';
import { GraphQLError, parse, Source, type DocumentNode } from 'graphql';
import { request } from 'undici';
import type { Level } from '../shared/classification';
import { MeshgateError } from '../shared/errors';
import type { SubgraphConfig } from './config';
import { checkGovernance, type GovernanceProblem } from './governance/checks';
import { expandClassification } from './governance/expand-classification';

export interface SubgraphSchema {
  name: string;
  routingUrl: string;
  /** Where the SDL came from (a file path or a URL), for messages. */
  origin: string;
  sdl: string;
  /** The domain's data-product descriptor (data-product.yaml), for the owner check. */
  descriptor?: string;
  /** Inline owner from the config, for subgraphs without a descriptor. */
  owner?: { team?: string; contact?: string };
}

/** One composition problem, located: which subgraph(s), which file and line, why. */
export interface CompositionProblem {
  code: string;
  message: string;
  locations: string[];
}

export type CompositionResult =
  | {
      ok: true;
      supergraphSdl: string;
      hints: string[];
      /** Governance warnings that do not fail composition (fields given the policy's default classification). */
      warnings: GovernanceProblem[];
    }
  | {
      ok: false;
      /** GOVERNANCE_FAILED when every problem is a governance problem, else COMPOSITION_FAILED. */
      code: 'COMPOSITION_FAILED' | 'GOVERNANCE_FAILED';
      problems: CompositionProblem[];
    };

export interface ComposeOptions {
  /** The policy's classification of fields their subgraph left unclassified; absent: such fields fail composition. */
  defaultClassification?: Level;
}

/** Fetches a running subgraph's SDL through the federation `_service` field. */
export async function introspectSubgraph(name: string, url: string, timeoutMs = 5_000): Promise<string> {
  let body: any;
  try {
    const res = await request(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ _service { sdl } }' }),
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
    });
    body = await res.body.json();
  } catch (err) {
    const reason = (err as { code?: string }).code ?? (err as Error).message;
    throw new MeshgateError('SUBGRAPH_UNAVAILABLE', `subgraph "${name}" at ${url} did not answer (${reason})`, { subgraph: name });
  }
  const sdl = body?.data?._service?.sdl;
  if (typeof sdl !== 'string') {
    throw new MeshgateError('SUBGRAPH_UNAVAILABLE', `subgraph "${name}" at ${url} did not return its schema from { _service { sdl } }: is it a federation subgraph?`, { subgraph: name });
  }
  return sdl;
}

/** The descriptor file a domain keeps beside its schema file, used when the config names none. */
export const DESCRIPTOR_FILE = 'data-product.yaml';

/**
 * Where a subgraph's descriptor is: the config's `descriptor:`, else, for a subgraph whose schema
 * is a file, the `data-product.yaml` beside that file (a domain folder's layout). An inline owner
 * changes nothing: every subgraph needs one (MISSING_DESCRIPTOR otherwise).
 */
export function descriptorOf(s: SubgraphConfig): string | undefined {
  if (s.descriptor) return s.descriptor;
  if ('file' in s.schema) return path.join(path.dirname(s.schema.file), DESCRIPTOR_FILE);
  return undefined;
}

/** Reads each subgraph's schema from its file, or from the running service, with its descriptor (`descriptorOf`) and inline owner. */
export async function loadSubgraphSchemas(subgraphs: SubgraphConfig[]): Promise<SubgraphSchema[]> {
  return Promise.all(
    subgraphs.map(async (s): Promise<SubgraphSchema> => {
      const governance: Pick<SubgraphSchema, 'descriptor' | 'owner'> = {};
      const descriptor = descriptorOf(s);
      if (descriptor) governance.descriptor = descriptor;
      if (s.owner) governance.owner = s.owner;
      if ('file' in s.schema) {
        let sdl: string;
        try {
          sdl = fs.readFileSync(s.schema.file, 'utf8');
        } catch {
          throw new MeshgateError('CONFIG_INVALID', `subgraph "${s.name}": cannot read schema file ${s.schema.file}`, { subgraph: s.name });
        }
        return { name: s.name, routingUrl: s.routingUrl, origin: path.relative(process.cwd(), s.schema.file) || s.schema.file, sdl, ...governance };
      }
      const sdl = await introspectSubgraph(s.name, s.schema.subgraphUrl);
      return { name: s.name, routingUrl: s.routingUrl, origin: s.schema.subgraphUrl, sdl, ...governance };
    }),
  );
}

function locate(error: GraphQLError): string[] {
  return (error.nodes ?? [])
    .map((node) => node.loc && `${node.loc.source.name}:${node.loc.startToken.line}:${node.loc.startToken.column}`)
    .filter((l): l is string => Boolean(l));
}

/**
 * Composes subgraph schemas into a supergraph, governed: each subgraph's type-level
 * `@classified` defaults are expanded onto its fields first (so the supergraph carries field-level
 * classifications only), and the governance checks (gateway/governance/checks.ts) run beside
 * composition. Never throws on bad schemas: returns every composition and governance problem.
 */
export function composeSupergraph(subgraphs: SubgraphSchema[], options: ComposeOptions = {}): CompositionResult {
  const problems: CompositionProblem[] = [];
  const documents: DocumentNode[] = [];
  for (const s of subgraphs) {
    try {
      documents.push(parse(new Source(s.sdl, s.origin)));
    } catch (err) {
      const e = err as GraphQLError;
      const where = e.locations?.[0] ? `${s.origin}:${e.locations[0].line}:${e.locations[0].column}` : s.origin;
      problems.push({ code: 'INVALID_GRAPHQL', message: `[${s.name}] ${e.message}`, locations: [where] });
    }
  }
  if (problems.length) return { ok: false, code: 'COMPOSITION_FAILED', problems };
  const governance = checkGovernance({
    subgraphs: subgraphs.map((s, i) => ({ name: s.name, origin: s.origin, sdl: documents[i], descriptor: s.descriptor, owner: s.owner })),
    defaultClassification: options.defaultClassification,
  });
  const governanceErrors = governance.filter((p) => p.severity === 'error').map(({ code, message, locations }) => ({ code, message, locations }));
  const result = composeServices(subgraphs.map((s, i) => ({ name: s.name, url: s.routingUrl, typeDefs: expandClassification(documents[i]) })));
  if (result.errors || governanceErrors.length) {
    const compositionErrors = (result.errors ?? []).map((e) => ({ code: String(e.extensions?.code ?? 'COMPOSITION_ERROR'), message: e.message, locations: locate(e) }));
    return {
      ok: false,
      code: compositionErrors.length ? 'COMPOSITION_FAILED' : 'GOVERNANCE_FAILED',
      problems: [...compositionErrors, ...governanceErrors],
    };
  }
  return {
    ok: true,
    supergraphSdl: result.supergraphSdl,
    hints: result.hints.map((h) => h.toString()),
    warnings: governance.filter((p) => p.severity === 'warning'),
  };
}

/** Human-readable report of composition problems, one block per problem. */
export function formatProblems(problems: CompositionProblem[]): string {
  return problems
    .map((p, i) => `${i + 1}. ${p.code}: ${p.message}${p.locations.length ? `\n   at ${p.locations.join('\n   at ')}` : ''}`)
    .join('\n');
}

export interface ComposeFromConfigOptions extends ComposeOptions {
  /** Receives each governance warning (e.g. fields given the default classification). */
  onWarning?: (warning: GovernanceProblem) => void;
}

/**
 * Loads and composes; a failure becomes a COMPOSITION_FAILED error (GOVERNANCE_FAILED when only
 * governance rules are broken) listing every problem.
 */
export async function composeFromConfig(subgraphs: SubgraphConfig[], options: ComposeFromConfigOptions = {}): Promise<string> {
  const result = composeSupergraph(await loadSubgraphSchemas(subgraphs), { defaultClassification: options.defaultClassification });
  if (!result.ok) {
    const what = result.code === 'GOVERNANCE_FAILED' ? 'governance checks failed' : 'composition failed';
    throw new MeshgateError(result.code, `${what} with ${result.problems.length} problem(s):\n${formatProblems(result.problems)}`, {
      problems: result.problems,
    });
  }
  for (const warning of result.warnings) options.onWarning?.(warning);
  return result.supergraphSdl;
}
