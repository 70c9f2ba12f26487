import { Kind, type DocumentNode, type FragmentDefinitionNode, type OperationDefinitionNode, type SelectionSetNode } from 'graphql';

/** What an operation asks for once its fragments are expanded, as the query planner would see it. */
export interface OperationMeasures {
  /** Deepest field nesting (a root field is depth 1); introspection subtrees are left out. */
  depth: number;
  /** Deepest nesting under `__schema` or `__type` (that field is depth 1): limited on its own. */
  introspectionDepth: number;
  aliases: number;
  /** Fields at the root, through fragments spread or inlined there. */
  rootFields: number;
  directives: number;
  /** Field selections in total. */
  selections: number;
}

const ZERO: OperationMeasures = { depth: 0, introspectionDepth: 0, aliases: 0, rootFields: 0, directives: 0, selections: 0 };

/**
 * Measures every operation of a document in time linear in its size: each fragment is measured
 * once and its result reused at every spread, so a fragment bomb (each fragment spreading the next
 * one twice) yields its exponential counts without an exponential walk. Counts may reach Infinity.
 */
export function measureDocument(document: DocumentNode): Map<OperationDefinitionNode, OperationMeasures> {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const def of document.definitions) if (def.kind === Kind.FRAGMENT_DEFINITION) fragments.set(def.name.value, def);
  const measured = new Map<string, OperationMeasures>();
  const inProgress = new Set<string>();

  const fragment = (name: string): OperationMeasures => {
    const known = measured.get(name);
    if (known) return known;
    const def = fragments.get(name);
    // Unknown fragments and cycles are for graphql's own validation rules to report.
    if (!def || inProgress.has(name)) return ZERO;
    inProgress.add(name);
    const inner = selectionSet(def.selectionSet);
    inProgress.delete(name);
    const result = { ...inner, directives: inner.directives + (def.directives?.length ?? 0) };
    measured.set(name, result);
    return result;
  };

  const selectionSet = (set: SelectionSetNode): OperationMeasures => {
    const total = { ...ZERO };
    const add = (m: OperationMeasures, ownDirectives: number) => {
      total.depth = Math.max(total.depth, m.depth);
      total.introspectionDepth = Math.max(total.introspectionDepth, m.introspectionDepth);
      total.aliases += m.aliases;
      total.rootFields += m.rootFields;
      total.directives += m.directives + ownDirectives;
      total.selections += m.selections;
    };
    for (const selection of set.selections) {
      const own = selection.directives?.length ?? 0;
      if (selection.kind === Kind.FIELD) {
        const children = selection.selectionSet ? selectionSet(selection.selectionSet) : ZERO;
        const name = selection.name.value;
        // Below __schema/__type every field is introspection: its nesting counts there, not in depth.
        const introspection = name === '__schema' || name === '__type';
        add(
          {
            depth: name.startsWith('__') ? 0 : 1 + children.depth,
            introspectionDepth: introspection ? 1 + Math.max(children.depth, children.introspectionDepth) : children.introspectionDepth,
            aliases: (selection.alias ? 1 : 0) + children.aliases,
            rootFields: 1,
            directives: children.directives,
            selections: 1 + children.selections,
          },
          own,
        );
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        add(selectionSet(selection.selectionSet), own);
      } else {
        add(fragment(selection.name.value), own);
      }
    }
    return total;
  };

  const result = new Map<OperationDefinitionNode, OperationMeasures>();
  for (const def of document.definitions) {
    if (def.kind !== Kind.OPERATION_DEFINITION) continue;
    const m = selectionSet(def.selectionSet);
    const variableDirectives = (def.variableDefinitions ?? []).reduce((n, v) => n + (v.directives?.length ?? 0), 0);
    result.set(def, { ...m, directives: m.directives + (def.directives?.length ?? 0) + variableDirectives });
  }
  return result;
}
