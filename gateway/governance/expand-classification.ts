import {
  Kind,
  parse,
  print,
  type ConstDirectiveNode,
  type DefinitionNode,
  type DocumentNode,
  type FieldDefinitionNode,
} from 'graphql';
import { classifiedDirectiveName } from './directive';

type FieldedKind = Kind.OBJECT_TYPE_DEFINITION | Kind.OBJECT_TYPE_EXTENSION | Kind.INTERFACE_TYPE_DEFINITION | Kind.INTERFACE_TYPE_EXTENSION;
const FIELDED: ReadonlySet<string> = new Set<FieldedKind>([
  Kind.OBJECT_TYPE_DEFINITION,
  Kind.OBJECT_TYPE_EXTENSION,
  Kind.INTERFACE_TYPE_DEFINITION,
  Kind.INTERFACE_TYPE_EXTENSION,
]);

type FieldedNode = Extract<DefinitionNode, { kind: FieldedKind }>;

export function isFielded(def: DefinitionNode): def is FieldedNode {
  return FIELDED.has(def.kind);
}

/** A field another subgraph defines (`@external`): classified by its owner, not here. */
export function isExternal(field: FieldDefinitionNode): boolean {
  return (field.directives ?? []).some((d) => d.name.value === 'external' || d.name.value === 'federation__external');
}

/**
 * Pushes each type-level `@classified` of one subgraph onto every field of that type (over all of
 * the type's definitions and extensions in the subgraph) that has no field-level `@classified`,
 * and removes the type-level applications. Composition keeps only one type-level application of a
 * type several subgraphs define, but every field-level one (the directive is `repeatable`), so
 * expanding first keeps each subgraph's defaults in the supergraph.
 *
 * Applications are copied verbatim (arguments and source locations), so invalid ones are still
 * reported by the checks, pointing at the type-level directive. `@external` fields are skipped.
 */
export function expandClassification(doc: DocumentNode): DocumentNode;
export function expandClassification(sdl: string): string;
export function expandClassification(input: DocumentNode | string): DocumentNode | string {
  if (typeof input === 'string') return print(expandClassification(parse(input)));
  const name = classifiedDirectiveName(input);
  const isClassified = (d: ConstDirectiveNode) => d.name.value === name;

  const typeDefaults = new Map<string, ConstDirectiveNode[]>();
  for (const def of input.definitions) {
    if (!isFielded(def)) continue;
    const own = (def.directives ?? []).filter(isClassified);
    if (own.length) typeDefaults.set(def.name.value, [...(typeDefaults.get(def.name.value) ?? []), ...own]);
  }
  if (typeDefaults.size === 0) return input;

  const definitions = input.definitions.map((def): DefinitionNode => {
    if (!isFielded(def)) return def;
    const defaults = typeDefaults.get(def.name.value);
    if (!defaults) return def;
    const fields = def.fields?.map((field) => {
      const directives = field.directives ?? [];
      if (isExternal(field) || directives.some(isClassified)) return field;
      return { ...field, directives: [...directives, ...defaults] };
    });
    return { ...def, directives: (def.directives ?? []).filter((d) => !isClassified(d)), fields } as FieldedNode;
  });
  return { ...input, definitions };
}
