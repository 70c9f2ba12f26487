import { diff } from '@graphql-inspector/core';
import {
  getNamedType,
  isInputObjectType,
  isInterfaceType,
  isObjectType,
  type GraphQLNamedType,
  type GraphQLSchema,
} from 'graphql';

export type Criticality = 'BREAKING' | 'DANGEROUS' | 'NON_BREAKING';

/** One difference between the current and the proposed API schema. */
export interface SchemaChange {
  criticality: Criticality;
  /** graphql-inspector's change type, e.g. `FIELD_REMOVED`. */
  type: string;
  message: string;
  /** What changed: `Type`, `Type.field`, `Type.field.argument` or `Enum.VALUE`. */
  path: string | null;
  /** The fields (`Type.field`, as the audit trail records them) clients reach what changed through. */
  coordinates: string[];
}

/** Fields of the current schema whose result or arguments reach the named type (inputs followed transitively). */
function fieldsReaching(schema: GraphQLSchema, target: string): string[] {
  const inputsReaching = new Set<string>([target]);
  // An input type reaches the target when one of its fields does: grow the set to a fixed point.
  for (let grew = true; grew; ) {
    grew = false;
    for (const type of Object.values(schema.getTypeMap())) {
      if (!isInputObjectType(type) || inputsReaching.has(type.name)) continue;
      if (Object.values(type.getFields()).some((f) => inputsReaching.has(getNamedType(f.type).name))) {
        inputsReaching.add(type.name);
        grew = true;
      }
    }
  }
  const found: string[] = [];
  for (const type of Object.values(schema.getTypeMap())) {
    if (type.name.startsWith('__') || !(isObjectType(type) || isInterfaceType(type))) continue;
    for (const field of Object.values(type.getFields())) {
      if (getNamedType(field.type).name === target || field.args.some((a) => inputsReaching.has(getNamedType(a.type).name))) {
        found.push(`${type.name}.${field.name}`);
      }
    }
  }
  return found;
}

/** An interface's field is recorded on the object types that implement it, so both count. */
function withImplementations(schema: GraphQLSchema, type: GraphQLNamedType, field: string): string[] {
  if (!isInterfaceType(type)) return [`${type.name}.${field}`];
  return [`${type.name}.${field}`, ...schema.getPossibleTypes(type).map((t) => `${t.name}.${field}`)];
}

/** The fields of the current schema a change at `path` touches. */
export function coordinatesOf(current: GraphQLSchema, path: string | undefined): string[] {
  if (!path) return [];
  const [typeName, fieldName] = path.split('.');
  const type = current.getType(typeName);
  if (!type) return []; // a type that is new: nobody can have used it
  if (isObjectType(type) || isInterfaceType(type)) {
    const names = fieldName ? [fieldName] : Object.keys(type.getFields());
    return [...new Set(names.flatMap((f) => withImplementations(current, type, f)))];
  }
  return fieldsReaching(current, typeName);
}

/** Every change from the current to the proposed API schema, graphql-inspector's criticality kept. */
export async function schemaChanges(current: GraphQLSchema, proposed: GraphQLSchema): Promise<SchemaChange[]> {
  return (await diff(current, proposed)).map((change) => ({
    criticality: change.criticality.level as Criticality,
    type: change.type,
    message: change.message,
    path: change.path ?? null,
    coordinates: change.criticality.level === 'NON_BREAKING' ? [] : coordinatesOf(current, change.path).sort(),
  }));
}
