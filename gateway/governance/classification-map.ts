import { parse, Source, type ConstDirectiveNode, type DocumentNode, type FieldDefinitionNode } from 'graphql';
import { stricter, type Classification } from '../../shared/classification';
import { classifiedDirectiveName, locationOf, readApplication } from './directive';
import { isFielded } from './expand-classification';
import { isFederationInternalField, isFederationInternalType } from './federation-internals';

/** Classification of every classified field of a supergraph, keyed `Type.field`. */
export type ClassificationMap = Map<string, Classification>;

/** One field of a supergraph, with what its `@classified` applications say. */
export interface ScannedField {
  coordinate: string;
  typeName: string;
  fieldName: string;
  /** `file:line:column` of the field, when the SDL was parsed with a source name. */
  location?: string;
  /** The strictest valid classification: field-level applications, else the type-level fallback. */
  classification?: Classification;
  /** Whether `classification` comes from a type-level application. */
  fromType: boolean;
}

/** An application whose level or category is not in the vocabulary. */
export interface InvalidApplication {
  /** `Type.field`, or `Type` for a type-level application. */
  coordinate: string;
  reason: string;
  location?: string;
}

export interface SupergraphScan {
  fields: ScannedField[];
  invalid: InvalidApplication[];
}

function strictestOf(directives: readonly ConstDirectiveNode[], coordinate: string, invalid: InvalidApplication[]): Classification | undefined {
  let result: Classification | undefined;
  for (const directive of directives) {
    const read = readApplication(directive);
    if (!read.ok) {
      invalid.push({ coordinate, reason: read.reason, location: locationOf(directive) });
      continue;
    }
    result = result ? stricter(result, read.classification) : read.classification;
  }
  return result;
}

/**
 * Walks every object and interface field of a supergraph (root types included, federation
 * internals and the directive definitions left out) with its classification. Field-level
 * applications decide, the strictest of several winning (one per subgraph that defines the field);
 * a type-level application (left by a composition tool that did not expand type defaults) is
 * the fallback for that type's fields without one.
 */
export function scanSupergraph(supergraph: string | DocumentNode, sourceName = 'supergraph.graphql'): SupergraphScan {
  const doc = typeof supergraph === 'string' ? parse(new Source(supergraph, sourceName)) : supergraph;
  const name = classifiedDirectiveName(doc);
  const isClassified = (d: ConstDirectiveNode) => d.name.value === name;
  const invalid: InvalidApplication[] = [];

  const typeLevel = new Map<string, ConstDirectiveNode[]>();
  const fieldLevel = new Map<string, { typeName: string; field: FieldDefinitionNode; directives: ConstDirectiveNode[] }>();
  for (const def of doc.definitions) {
    if (!isFielded(def) || isFederationInternalType(def.name.value)) continue;
    const typeName = def.name.value;
    const own = (def.directives ?? []).filter(isClassified);
    if (own.length) typeLevel.set(typeName, [...(typeLevel.get(typeName) ?? []), ...own]);
    for (const field of def.fields ?? []) {
      if (isFederationInternalField(typeName, field)) continue;
      const coordinate = `${typeName}.${field.name.value}`;
      const entry = fieldLevel.get(coordinate) ?? { typeName, field, directives: [] };
      entry.directives.push(...(field.directives ?? []).filter(isClassified));
      fieldLevel.set(coordinate, entry);
    }
  }

  const typeFallback = new Map<string, Classification | undefined>();
  for (const [typeName, directives] of typeLevel) typeFallback.set(typeName, strictestOf(directives, typeName, invalid));

  const fields: ScannedField[] = [];
  for (const [coordinate, { typeName, field, directives }] of fieldLevel) {
    const own = strictestOf(directives, coordinate, invalid);
    const fallback = own ? undefined : typeFallback.get(typeName);
    fields.push({
      coordinate,
      typeName,
      fieldName: field.name.value,
      location: locationOf(field),
      classification: own ?? fallback,
      fromType: !own && Boolean(fallback),
    });
  }
  return { fields, invalid };
}

/**
 * Reads the classification of every classified field of a supergraph, keyed `Type.field`.
 * Unclassified fields and invalid applications are left out (see `checkSupergraphClassification`).
 */
export function readClassifications(supergraphSdl: string | DocumentNode): ClassificationMap {
  const map: ClassificationMap = new Map();
  for (const field of scanSupergraph(supergraphSdl).fields) if (field.classification) map.set(field.coordinate, field.classification);
  return map;
}

/** A field's classification, or undefined when the supergraph does not classify it. */
export function classificationOf(map: ClassificationMap, typeName: string, fieldName: string): Classification | undefined {
  return map.get(`${typeName}.${fieldName}`);
}
