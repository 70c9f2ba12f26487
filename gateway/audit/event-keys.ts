import { isObjectType, Kind, parse, type GraphQLSchema } from 'graphql';

const FIELD_LIST = /^\s*[_A-Za-z][_0-9A-Za-z]*(\s+[_A-Za-z][_0-9A-Za-z]*)*\s*$/;

/**
 * The key fields of every entity type, by type name, for the audit trail's entity keys: the first
 * `@join__type(key: "...")` of the supergraph made only of top-level fields the API schema has
 * (nested keys are skipped). An object type without `@key` that has an `id: ID!` field is keyed
 * by it (e.g. SalesRep): the audit needs to say whose personal data left, entity or not.
 */
export function readEntityKeys(supergraphSdl: string, apiSchema: GraphQLSchema): Map<string, string[]> {
  const keys = new Map<string, string[]>();
  const doc = parse(supergraphSdl, { noLocation: true });
  for (const def of doc.definitions) {
    if (def.kind !== Kind.OBJECT_TYPE_DEFINITION && def.kind !== Kind.OBJECT_TYPE_EXTENSION) continue;
    const type = apiSchema.getType(def.name.value);
    if (!isObjectType(type) || keys.has(type.name)) continue;
    const fields = type.getFields();
    for (const directive of def.directives ?? []) {
      if (directive.name.value !== 'join__type') continue;
      const key = directive.arguments?.find((a) => a.name.value === 'key')?.value;
      if (key?.kind !== Kind.STRING || !FIELD_LIST.test(key.value)) continue;
      const names = key.value.trim().split(/\s+/);
      if (names.every((n) => fields[n])) {
        keys.set(type.name, names);
        break;
      }
    }
  }
  for (const type of Object.values(apiSchema.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith('__') || keys.has(type.name)) continue;
    const id = type.getFields().id;
    if (id && String(id.type) === 'ID!') keys.set(type.name, ['id']);
  }
  return keys;
}

/**
 * An entity's key as the audit trail records it (and `subjectAccess` looks it up): a single-field
 * key is its plain value (`C000001`); a composite key is `name=value` per key field, in the
 * order of the `@key` directive, joined by `&`, each name and value percent-encoded
 * (`encodeURIComponent`), e.g. `orderId=10248&lineNo=1`. Stable whatever the value types.
 */
export function entityKeyString(fields: readonly { name: string; value: unknown }[]): string {
  if (fields.length === 1) return String(fields[0].value);
  return fields.map((f) => `${encodeURIComponent(f.name)}=${encodeURIComponent(String(f.value))}`).join('&');
}
