import { Kind, parse } from 'graphql';
import { MeshgateError } from '../shared/errors';

export interface SupergraphSubgraph {
  name: string;
  url: string;
}

/** The subgraphs a supergraph routes to, read from its `join__Graph` enum. */
export function subgraphsOfSupergraph(supergraphSdl: string): SupergraphSubgraph[] {
  let doc;
  try {
    doc = parse(supergraphSdl);
  } catch (err) {
    throw new MeshgateError('CONFIG_INVALID', `the supergraph is not valid GraphQL: ${(err as Error).message}`);
  }
  for (const def of doc.definitions) {
    if (def.kind !== Kind.ENUM_TYPE_DEFINITION || def.name.value !== 'join__Graph') continue;
    return (def.values ?? []).map((value) => {
      const graph = value.directives?.find((d) => d.name.value === 'join__graph');
      const arg = (name: string) => {
        const node = graph?.arguments?.find((a) => a.name.value === name)?.value;
        return node?.kind === Kind.STRING ? node.value : undefined;
      };
      return { name: arg('name') ?? value.name.value.toLowerCase(), url: arg('url') ?? '' };
    });
  }
  throw new MeshgateError('CONFIG_INVALID', 'not a Federation 2 supergraph: no join__Graph enum (compose it with `meshgate compose`)');
}
