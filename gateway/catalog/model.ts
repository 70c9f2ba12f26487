import { getNamedType, isInterfaceType, isObjectType, type GraphQLSchema } from 'graphql';
import type { Classification } from '../../shared/classification';
import { readClassifications } from '../governance';
import type { DataProduct } from '../governance/descriptor';
import type { LoadedSupergraph } from '../plugins/types';
import { readOwnership } from './ownership';

/** What the catalog shows of a domain's data-product descriptor (data-product.yaml). */
export type DataProductInfo = Pick<DataProduct, 'name' | 'title' | 'description' | 'version' | 'owner' | 'serviceLevels' | 'tags'>;

export interface CatalogField {
  coordinate: string;
  typeName: string;
  name: string;
  /** The field's GraphQL type as written, e.g. `[OrderLine!]!`. */
  type: string;
  /** The named type it returns, e.g. `OrderLine`. */
  returns: string;
  description: string | null;
  classification: Classification | null;
  /** The domains (subgraphs) that resolve it. */
  resolvedBy: string[];
  deprecationReason: string | null;
}

export interface CatalogType {
  name: string;
  kind: 'OBJECT' | 'INTERFACE';
  description: string | null;
  /** Entity keys declared for it, e.g. `id`; empty for a value type. */
  keys: string[];
  /** The domain that resolves most of its fields: where the entity lives. */
  home: string;
  /** Every domain contributing a field. */
  domains: string[];
  fields: CatalogField[];
}

/**
 * A cross-domain link. REFERENCE: a field of one domain returns an entity another domain owns
 * (`OrderLine.product`: sales → inventory). CONTRIBUTION: a domain adds a field to an entity
 * another owns (`Order.shipments`: logistics → sales).
 */
export interface LineageLink {
  kind: 'REFERENCE' | 'CONTRIBUTION';
  coordinate: string;
  fromDomain: string;
  toDomain: string;
  /** The entity the link reaches: the returned type (REFERENCE) or the extended one (CONTRIBUTION). */
  entity: string;
}

export interface CatalogModel {
  domains: string[];
  types: CatalogType[];
  lineage: LineageLink[];
}

/** Builds the catalog of one loaded supergraph: types, fields, who resolves them and the links between domains. */
export function buildCatalogModel(loaded: LoadedSupergraph): CatalogModel {
  const ownership = readOwnership(loaded.sdl);
  const classifications = readClassifications(loaded.sdl);
  const schema: GraphQLSchema = loaded.apiSchema;
  const types: CatalogType[] = [];
  const domains = new Set<string>();

  for (const type of Object.values(schema.getTypeMap())) {
    if (!(isObjectType(type) || isInterfaceType(type)) || type.name.startsWith('__')) continue;
    const holders = ownership.types.get(type.name) ?? [];
    const fields: CatalogField[] = Object.values(type.getFields()).map((f) => {
      const coordinate = `${type.name}.${f.name}`;
      const resolvedBy = ownership.fields.get(coordinate) ?? holders.map((h) => h.subgraph);
      for (const d of resolvedBy) domains.add(d);
      return {
        coordinate,
        typeName: type.name,
        name: f.name,
        type: String(f.type),
        returns: getNamedType(f.type).name,
        description: f.description ?? null,
        classification: classifications.get(coordinate) ?? null,
        resolvedBy,
        deprecationReason: f.deprecationReason ?? null,
      };
    });
    // Home: the domain resolving most fields; ties go to the first that declares the type.
    const counts = new Map<string, number>(holders.map((h) => [h.subgraph, 0]));
    for (const f of fields) for (const d of f.resolvedBy) counts.set(d, (counts.get(d) ?? 0) + 1);
    const home = [...counts].reduce<[string, number] | undefined>((best, c) => (!best || c[1] > best[1] ? c : best), undefined)?.[0] ?? '';
    types.push({
      name: type.name,
      kind: isObjectType(type) ? 'OBJECT' : 'INTERFACE',
      description: type.description ?? null,
      keys: [...new Set(holders.flatMap((h) => (h.key ? [h.key] : [])))],
      home,
      domains: [...counts].filter(([, n]) => n > 0).map(([d]) => d),
      fields,
    });
  }
  types.sort((a, b) => a.name.localeCompare(b.name));

  const byName = new Map(types.map((t) => [t.name, t]));
  const lineage: LineageLink[] = [];
  for (const type of types) {
    for (const field of type.fields) {
      if (type.keys.length) {
        for (const d of field.resolvedBy) {
          if (d !== type.home && !field.resolvedBy.includes(type.home)) lineage.push({ kind: 'CONTRIBUTION', coordinate: field.coordinate, fromDomain: d, toDomain: type.home, entity: type.name });
        }
      }
      const target = byName.get(field.returns);
      if (!target?.keys.length) continue;
      for (const d of field.resolvedBy) {
        if (d !== target.home && !field.resolvedBy.includes(target.home)) lineage.push({ kind: 'REFERENCE', coordinate: field.coordinate, fromDomain: d, toDomain: target.home, entity: target.name });
      }
    }
  }
  return { domains: [...domains].sort(), types, lineage };
}

/** The part of the catalog one domain contributes: the types it resolves fields of, with only those fields. */
export function typesOfDomain(model: CatalogModel, domain: string): CatalogType[] {
  return model.types
    .map((t) => ({ ...t, fields: t.fields.filter((f) => f.resolvedBy.includes(domain)) }))
    .filter((t) => t.fields.length > 0);
}
