import {
  getArgumentValues,
  getDirectiveValues,
  getNamedType,
  getNullableType,
  GraphQLIncludeDirective,
  GraphQLSkipDirective,
  isAbstractType,
  isListType,
  isNonNullType,
  Kind,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';
import { graphqlError } from '../../shared/errors';

/** One field selection of an operation, resolved against the schema. */
export interface SelectedField {
  node: FieldNode;
  /** Response keys (aliases where given) from the root. */
  path: string[];
  /** The same path with `@` after every list, as errors report it (Apollo Router's convention). */
  errorPath: string[];
  /**
   * `Type.field` for every object type the value can come from: a field selected through an
   * interface is decided for the interface and each implementation.
   */
  coordinates: string[];
  nonNull: boolean;
  /** The field's argument values, variables applied (what `inputRule`s see). */
  args: Record<string, unknown>;
  /** The field selection this one is nested in (absent at the root). */
  parent?: SelectedField;
}

export interface WalkResult {
  fields: SelectedField[];
  /** Root introspection fields (`__schema`, `__type`) selected; answered from a filtered schema. */
  introspection: boolean;
}

/** Budget of visited selections; fragment spreads could otherwise make the walk itself explode. */
export const MAX_VISITED_SELECTIONS = 50_000;

/**
 * Every field the operation would execute with these variables: through aliases, named and
 * inline fragments, interfaces and unions, honouring `@skip` and `@include`.
 */
export function walkOperation(
  schema: GraphQLSchema,
  operation: OperationDefinitionNode,
  fragments: Record<string, FragmentDefinitionNode>,
  variables: Record<string, unknown> = {},
): WalkResult {
  const fields: SelectedField[] = [];
  let introspection = false;
  let visited = 0;

  const included = (node: { directives?: readonly any[] }) => {
    if (!node.directives?.length) return true;
    if (getDirectiveValues(GraphQLSkipDirective, node as FieldNode, variables)?.if === true) return false;
    return getDirectiveValues(GraphQLIncludeDirective, node as FieldNode, variables)?.if !== false;
  };

  const visitSet = (set: SelectionSetNode, parent: GraphQLCompositeType, path: string[], errorPath: string[], enclosing?: SelectedField) => {
    for (const selection of set.selections) {
      if (++visited > MAX_VISITED_SELECTIONS) {
        throw graphqlError('BAD_USER_INPUT', `the operation expands to more than ${MAX_VISITED_SELECTIONS} selections`);
      }
      if (!included(selection)) continue;
      if (selection.kind === Kind.INLINE_FRAGMENT) {
        const narrowed = selection.typeCondition ? (schema.getType(selection.typeCondition.name.value) as GraphQLCompositeType) : parent;
        visitSet(selection.selectionSet, narrowed, path, errorPath, enclosing);
        continue;
      }
      if (selection.kind === Kind.FRAGMENT_SPREAD) {
        const fragment = fragments[selection.name.value];
        if (fragment) visitSet(fragment.selectionSet, schema.getType(fragment.typeCondition.name.value) as GraphQLCompositeType, path, errorPath, enclosing);
        continue;
      }
      const name = selection.name.value;
      if (name === '__typename') continue;
      if (name === '__schema' || name === '__type') {
        introspection = true;
        continue;
      }
      // Object and interface types have fields; a union selects only __typename and fragments.
      const def = 'getFields' in parent ? parent.getFields()[name] : undefined;
      if (!def) continue; // validation already refused unknown fields
      const owners = isAbstractType(parent) ? [parent.name, ...schema.getPossibleTypes(parent).map((t) => t.name)] : [parent.name];
      const key = selection.alias?.value ?? name;
      const childPath = [...path, key];
      let childErrorPath = [...errorPath, key];
      for (let type = getNullableType(def.type); isListType(type); type = getNullableType(type.ofType)) childErrorPath = [...childErrorPath, '@'];
      const selected: SelectedField = {
        node: selection,
        path: childPath,
        errorPath: childErrorPath,
        coordinates: owners.map((o) => `${o}.${name}`),
        nonNull: isNonNullType(def.type),
        args: selection.arguments?.length ? getArgumentValues(def, selection, variables) : {},
        parent: enclosing,
      };
      fields.push(selected);
      if (selection.selectionSet) visitSet(selection.selectionSet, getNamedType(def.type) as GraphQLCompositeType, childPath, childErrorPath, selected);
    }
  };

  const root = schema.getRootType(operation.operation);
  if (!root) throw graphqlError('BAD_USER_INPUT', `this schema has no ${operation.operation} type`);
  visitSet(operation.selectionSet, root, [], []);
  return { fields, introspection };
}
