import { composeServices } from '@apollo/composition';
import { parse, Source, type GraphQLError, type GraphQLSchema } from 'graphql';
import type { CompositionProblem, SubgraphSchema } from '../compose';
import { expandClassification } from '../governance/expand-classification';

export type ApiSchemaResult = { ok: true; schema: GraphQLSchema } | { ok: false; problems: CompositionProblem[] };

const located = (e: GraphQLError) =>
  (e.nodes ?? []).flatMap((n) => (n.loc ? [`${n.loc.source.name}:${n.loc.startToken.line}:${n.loc.startToken.column}`] : []));

/**
 * The client-visible API schema the subgraphs compose into, without the governance checks: the
 * baseline a proposed change is compared with is whatever runs today, governed or not (governing
 * it would block the very change that fixes it). `composeSupergraph` gives the governed verdict.
 */
export function composeApiSchema(subgraphs: SubgraphSchema[]): ApiSchemaResult {
  const services = [];
  for (const s of subgraphs) {
    try {
      services.push({ name: s.name, url: s.routingUrl, typeDefs: expandClassification(parse(new Source(s.sdl, s.origin))) });
    } catch (err) {
      return { ok: false, problems: [{ code: 'INVALID_GRAPHQL', message: `[${s.name}] ${(err as Error).message}`, locations: located(err as GraphQLError) }] };
    }
  }
  const result = composeServices(services);
  if (result.errors) {
    return { ok: false, problems: result.errors.map((e) => ({ code: String(e.extensions?.code ?? 'COMPOSITION_ERROR'), message: e.message, locations: located(e) })) };
  }
  return { ok: true, schema: result.schema.toAPISchema().toGraphQLJSSchema() };
}
