import fs from 'node:fs';
import path from 'node:path';
import { composeServices } from '@apollo/composition';
import { GraphQLError, parse, Source, type DocumentNode } from 'graphql';
import { request } from 'undici';
import { MeshgateError } from '../shared/errors';
import type { SubgraphConfig } from './config';

export interface SubgraphSchema {
  name: string;
  routingUrl: string;
  /** Where the SDL came from (a file path or a URL), for messages. */
  origin: string;
  sdl: string;
}

/** One composition problem, located: which subgraph(s), which file and line, why. */
export interface CompositionProblem {
  code: string;
  message: string;
  locations: string[];
}

export type CompositionResult =
  | { ok: true; supergraphSdl: string; hints: string[] }
  | { ok: false; problems: CompositionProblem[] };

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

/** Reads each subgraph's schema from its file, or from the running service. */
export async function loadSubgraphSchemas(subgraphs: SubgraphConfig[]): Promise<SubgraphSchema[]> {
  return Promise.all(
    subgraphs.map(async (s) => {
      if ('file' in s.schema) {
        let sdl: string;
        try {
          sdl = fs.readFileSync(s.schema.file, 'utf8');
        } catch {
          throw new MeshgateError('CONFIG_INVALID', `subgraph "${s.name}": cannot read schema file ${s.schema.file}`, { subgraph: s.name });
        }
        return { name: s.name, routingUrl: s.routingUrl, origin: path.relative(process.cwd(), s.schema.file) || s.schema.file, sdl };
      }
      const sdl = await introspectSubgraph(s.name, s.schema.subgraphUrl);
      return { name: s.name, routingUrl: s.routingUrl, origin: s.schema.subgraphUrl, sdl };
    }),
  );
}

function locate(error: GraphQLError): string[] {
  return (error.nodes ?? [])
    .map((node) => node.loc && `${node.loc.source.name}:${node.loc.startToken.line}:${node.loc.startToken.column}`)
    .filter((l): l is string => Boolean(l));
}

/** Composes subgraph schemas into a supergraph. Never throws on bad schemas: returns the problems. */
export function composeSupergraph(subgraphs: SubgraphSchema[]): CompositionResult {
  const problems: CompositionProblem[] = [];
  const services: { name: string; url: string; typeDefs: DocumentNode }[] = [];
  for (const s of subgraphs) {
    try {
      services.push({ name: s.name, url: s.routingUrl, typeDefs: parse(new Source(s.sdl, s.origin)) });
    } catch (err) {
      const e = err as GraphQLError;
      const where = e.locations?.[0] ? `${s.origin}:${e.locations[0].line}:${e.locations[0].column}` : s.origin;
      problems.push({ code: 'INVALID_GRAPHQL', message: `[${s.name}] ${e.message}`, locations: [where] });
    }
  }
  if (problems.length) return { ok: false, problems };
  const result = composeServices(services);
  if (result.errors) {
    return {
      ok: false,
      problems: result.errors.map((e) => ({ code: String(e.extensions?.code ?? 'COMPOSITION_ERROR'), message: e.message, locations: locate(e) })),
    };
  }
  return { ok: true, supergraphSdl: result.supergraphSdl, hints: result.hints.map((h) => h.toString()) };
}

/** Human-readable report of composition problems, one block per problem. */
export function formatProblems(problems: CompositionProblem[]): string {
  return problems
    .map((p, i) => `${i + 1}. ${p.code}: ${p.message}${p.locations.length ? `\n   at ${p.locations.join('\n   at ')}` : ''}`)
    .join('\n');
}

/** Loads and composes; a failure becomes a COMPOSITION_FAILED error listing every problem. */
export async function composeFromConfig(subgraphs: SubgraphConfig[]): Promise<string> {
  const result = composeSupergraph(await loadSubgraphSchemas(subgraphs));
  if (!result.ok) {
    throw new MeshgateError('COMPOSITION_FAILED', `composition failed with ${result.problems.length} problem(s):\n${formatProblems(result.problems)}`, {
      problems: result.problems,
    });
  }
  return result.supergraphSdl;
}
