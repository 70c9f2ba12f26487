import { MapperKind, mapSchema, pruneSchema } from '@graphql-tools/utils';
import {
  execute,
  getNamedType,
  GraphQLError,
  isInterfaceType,
  isObjectType,
  Kind,
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLInterfaceType,
  type GraphQLObjectType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';
import type { Policy } from '../../policies/types';
import type { Principal } from '../../shared/principal';
import type { SupergraphCatalog } from '../authorization/catalog';
import type { FieldCatalog } from '../authorization/plan';
import type { MeshgatePlugin } from './types';

export interface IntrospectionOptions {
  policy: Policy;
  /** The pipeline's shared catalog source (see `catalogSource`): classifications and requirements per supergraph. */
  catalogOf(supergraphSdl: string): SupergraphCatalog;
  /** Whether anonymous callers may introspect at all (default true; production turns it off). */
  anonymous?: boolean;
}

const INTROSPECTION_FIELDS = new Set(['__schema', '__type']);

/**
 * The names of the fields an operation selects at its root, through named and inline fragments
 * (the gateway would answer `{ ...F } fragment F on Query { __schema {…} }` from the full schema).
 * `@skip`/`@include` are ignored: a field that may run counts. Only the root level is read, each
 * fragment once, so this costs next to nothing per request.
 */
export function rootFieldNames(document: DocumentNode, operation: OperationDefinitionNode): Set<string> {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const def of document.definitions) if (def.kind === Kind.FRAGMENT_DEFINITION) fragments.set(def.name.value, def);
  const names = new Set<string>();
  const seen = new Set<string>();
  const visit = (set: SelectionSetNode) => {
    for (const selection of set.selections) {
      if (selection.kind === Kind.FIELD) names.add(selection.name.value);
      else if (selection.kind === Kind.INLINE_FRAGMENT) visit(selection.selectionSet);
      else if (!seen.has(selection.name.value)) {
        seen.add(selection.name.value);
        const fragment = fragments.get(selection.name.value);
        if (fragment) visit(fragment.selectionSet);
      }
    }
  };
  visit(operation.selectionSet);
  return names;
}

/**
 * The introspection step: a caller discovers only the fields it may read. Introspection is
 * answered from the API schema without the fields the policy denies this principal (cached per
 * principal attributes); combined with data fields in one operation, it is refused.
 */
export function useIntrospection(options: IntrospectionOptions): MeshgatePlugin {
  let apiSchema: GraphQLSchema | undefined;
  let catalog: FieldCatalog | undefined;
  const schemas = new Map<string, Promise<GraphQLSchema>>();

  const readable = async (principal: Principal, coordinate: string) => {
    const info = catalog!(coordinate);
    return info !== undefined && (await options.policy.decide(principal, info)).decision !== 'deny';
  };

  const schemaFor = async (principal: Principal): Promise<GraphQLSchema> => {
    const schema = apiSchema!;
    const hidden = new Set<string>();
    const composite = Object.values(schema.getTypeMap()).filter(
      (type): type is GraphQLObjectType | GraphQLInterfaceType => !type.name.startsWith('__') && (isObjectType(type) || isInterfaceType(type)),
    );
    for (const type of composite) {
      for (const field of Object.keys(type.getFields())) {
        const coordinate = `${type.name}.${field}`;
        if (!(await readable(principal, coordinate))) hidden.add(coordinate);
      }
    }
    // A type left without fields disappears, and so must every field that returns it.
    for (let changed = true; changed; ) {
      changed = false;
      const empty = new Set(composite.filter((t) => Object.keys(t.getFields()).every((f) => hidden.has(`${t.name}.${f}`))).map((t) => t.name));
      for (const type of composite) {
        for (const [name, field] of Object.entries(type.getFields())) {
          const coordinate = `${type.name}.${name}`;
          if (!hidden.has(coordinate) && empty.has(getNamedType(field.type).name)) {
            hidden.add(coordinate);
            changed = true;
          }
        }
      }
    }
    return pruneSchema(
      mapSchema(schema, {
        [MapperKind.COMPOSITE_FIELD]: (config, fieldName, typeName) => (hidden.has(`${typeName}.${fieldName}`) ? null : config),
      }),
    );
  };

  return {
    name: 'introspection',
    onSupergraph({ sdl, apiSchema: schema }) {
      apiSchema = schema;
      catalog = options.catalogOf(sdl).catalog;
      schemas.clear();
    },
    apollo: {
      async requestDidStart() {
        return {
          async responseForOperation(rc) {
            const roots = rootFieldNames(rc.document, rc.operation);
            const introspects = [...roots].some((name) => INTROSPECTION_FIELDS.has(name));
            if (!introspects) return null;
            const onlyIntrospection = [...roots].every((name) => INTROSPECTION_FIELDS.has(name) || name === '__typename');
            // Errors thrown here would surface as INTERNAL_SERVER_ERROR: answer refusals as responses.
            const refuse = (status: number, code: string, message: string) => {
              rc.response.http.status = status;
              return { http: rc.response.http, body: { kind: 'single' as const, singleResult: { errors: [new GraphQLError(message, { extensions: { code } }).toJSON()] } } };
            };
            if (!onlyIntrospection) return refuse(400, 'BAD_USER_INPUT', 'introspection cannot be combined with data fields in one operation');
            const principal = rc.contextValue.principal;
            if (principal.subject === null && options.anonymous === false) return refuse(403, 'FORBIDDEN', 'introspection needs an authenticated caller');
            const key = options.policy.principalKey(principal);
            let schema = schemas.get(key);
            if (!schema) schemas.set(key, (schema = schemaFor(principal)));
            const result = await execute({ schema: await schema, document: rc.document, variableValues: rc.request.variables, operationName: rc.operationName });
            return { http: rc.response.http, body: { kind: 'single', singleResult: { data: result.data as Record<string, unknown>, errors: result.errors?.map((e) => e.toJSON()) } } };
          },
        };
      },
    },
  };
}
