import {
  getNamedType,
  isCompositeType,
  isInterfaceType,
  isObjectType,
  Kind,
  valueFromAST,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLField,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';

/** Arguments that say how many items a field returns. */
const PAGE_ARGUMENTS = ['first', 'last', 'limit'];

export interface CostOptions {
  schema: GraphQLSchema;
  document: DocumentNode;
  operation: OperationDefinitionNode;
  variables: Record<string, unknown>;
  /** Page size for a paginated field called without a page argument that has no schema default. */
  defaultPageSize: number;
}

/**
 * Estimates what an operation costs the subgraphs: every field costs the product of the page sizes
 * of the paginated fields above it (a field with a `first`, `last` or `limit` argument; its value,
 * else the argument's default, else `defaultPageSize`). `customers(first: 100) { nodes {
 * orders(first: 100) { nodes { id } } } }` costs 1 + 100 + 100 + 100·100 + 100·100. Lists without
 * a page argument count once: their length is the data's, and no schema declares a bound to assume
 * (depth and selection limits bound them instead). Introspection costs nothing (answered from memory,
 * its nesting limited by maxIntrospectionDepth). Each fragment is
 * costed once and scaled at every spread, so the estimate is linear in the document's size.
 */
export function estimateCost(options: CostOptions): number {
  const { schema, variables, defaultPageSize } = options;
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const def of options.document.definitions) if (def.kind === Kind.FRAGMENT_DEFINITION) fragments.set(def.name.value, def);
  const variableDefaults = new Map((options.operation.variableDefinitions ?? []).map((v) => [v.variable.name.value, v.defaultValue]));
  const costed = new Map<string, number>();
  const inProgress = new Set<string>();

  const pageSize = (field: FieldNode, definition: GraphQLField<unknown, unknown>): number | undefined => {
    const argument = definition.args.find((a) => PAGE_ARGUMENTS.includes(a.name));
    if (!argument) return undefined;
    const given = field.arguments?.find((a) => a.name.value === argument.name)?.value;
    let value: unknown;
    if (given?.kind === Kind.VARIABLE) {
      const name = given.name.value;
      value = name in variables ? variables[name] : valueFromAST(variableDefaults.get(name) ?? undefined, argument.type);
    } else if (given) {
      value = valueFromAST(given, argument.type, variables);
    }
    value ??= argument.defaultValue;
    // A page size that is not a count is the subgraph's to refuse; the default stands in for it.
    return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : defaultPageSize;
  };

  const fragmentCost = (name: string): number => {
    const known = costed.get(name);
    if (known !== undefined) return known;
    const def = fragments.get(name);
    if (!def || inProgress.has(name)) return 0; // unknown or cyclic: graphql's validation reports it
    inProgress.add(name);
    const type = schema.getType(def.typeCondition.name.value);
    const cost = selectionSetCost(def.selectionSet, isCompositeType(type) ? type : undefined);
    inProgress.delete(name);
    costed.set(name, cost);
    return cost;
  };

  /** The cost of a selection set at multiplier 1: the caller scales it by the page sizes above. */
  const selectionSetCost = (set: SelectionSetNode, parent: GraphQLCompositeType | undefined): number => {
    let total = 0;
    for (const selection of set.selections) {
      if (selection.kind === Kind.FRAGMENT_SPREAD) {
        total += fragmentCost(selection.name.value);
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        const type = selection.typeCondition ? schema.getType(selection.typeCondition.name.value) : parent;
        total += selectionSetCost(selection.selectionSet, isCompositeType(type) ? type : undefined);
      } else if (!selection.name.value.startsWith('__')) {
        const definition = parent && (isObjectType(parent) || isInterfaceType(parent)) ? parent.getFields()[selection.name.value] : undefined;
        const multiplier = definition ? (pageSize(selection, definition) ?? 1) : 1;
        const type = definition ? getNamedType(definition.type) : undefined;
        const children = selection.selectionSet ? selectionSetCost(selection.selectionSet, isCompositeType(type) ? type : undefined) : 0;
        total += 1 + multiplier * children;
      }
    }
    return total;
  };

  const root = schema.getRootType(options.operation.operation);
  return selectionSetCost(options.operation.selectionSet, root ?? undefined);
}
