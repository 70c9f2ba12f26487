import { Kind, parse, type ConstDirectiveNode, type DocumentNode } from 'graphql';

/** Which subgraphs hold each type and resolve each field, as the supergraph's join directives say. */
export interface Ownership {
  /** Type name → the subgraphs that define it, with the entity key each declares (if any). */
  types: Map<string, { subgraph: string; key?: string }[]>;
  /** `Type.field` → the subgraphs that resolve it (external declarations left out). */
  fields: Map<string, string[]>;
}

const stringArg = (d: ConstDirectiveNode, name: string) => {
  const v = d.arguments?.find((a) => a.name.value === name)?.value;
  return v?.kind === Kind.STRING || v?.kind === Kind.ENUM ? v.value : undefined;
};
const boolArg = (d: ConstDirectiveNode, name: string) => {
  const v = d.arguments?.find((a) => a.name.value === name)?.value;
  return v?.kind === Kind.BOOLEAN ? v.value : undefined;
};

/**
 * Reads `@join__type` and `@join__field` of a Federation 2 supergraph. A field without
 * `@join__field` is resolved by every subgraph of its type (Federation's rule); one marked
 * `external` is only declared there, not resolved.
 */
export function readOwnership(supergraph: string | DocumentNode): Ownership {
  const doc = typeof supergraph === 'string' ? parse(supergraph, { noLocation: true }) : supergraph;
  const graphNames = new Map<string, string>();
  for (const def of doc.definitions) {
    if (def.kind !== Kind.ENUM_TYPE_DEFINITION || def.name.value !== 'join__Graph') continue;
    for (const value of def.values ?? []) {
      const graph = value.directives?.find((d) => d.name.value === 'join__graph');
      graphNames.set(value.name.value, (graph && stringArg(graph, 'name')) ?? value.name.value.toLowerCase());
    }
  }
  const nameOf = (graph: string | undefined) => (graph ? graphNames.get(graph) ?? graph.toLowerCase() : undefined);

  const types: Ownership['types'] = new Map();
  const fields: Ownership['fields'] = new Map();
  for (const def of doc.definitions) {
    if (def.kind !== Kind.OBJECT_TYPE_DEFINITION && def.kind !== Kind.INTERFACE_TYPE_DEFINITION) continue;
    const holders: { subgraph: string; key?: string }[] = [];
    for (const d of def.directives ?? []) {
      if (d.name.value !== 'join__type') continue;
      const subgraph = nameOf(stringArg(d, 'graph'));
      if (!subgraph) continue;
      const key = stringArg(d, 'key');
      const existing = holders.find((h) => h.subgraph === subgraph);
      if (!existing) holders.push({ subgraph, ...(key && { key }) });
      else if (key && !existing.key) existing.key = key;
    }
    if (!holders.length) continue; // join__ and link__ types of the supergraph itself
    types.set(def.name.value, holders);
    for (const field of def.fields ?? []) {
      const joins = (field.directives ?? []).filter((d) => d.name.value === 'join__field');
      const resolvers = joins.length
        ? joins.filter((d) => !boolArg(d, 'external')).flatMap((d) => nameOf(stringArg(d, 'graph')) ?? [])
        : holders.map((h) => h.subgraph);
      fields.set(`${def.name.value}.${field.name.value}`, [...new Set(resolvers)]);
    }
  }
  return { types, fields };
}
