import type { Classification, Level } from '../../shared/classification';
import type { FieldInfo, FieldRequirements } from '../../policies/types';
import type { FieldCatalog } from './plan';
import { noRequirements, readRequirements } from './requirements';

/**
 * What the policy needs to know about every field of the supergraph: its classification (read
 * from the supergraph SDL, where composition keeps `@classified`) and Router-style requirements.
 * A field without classification gets `defaultClassification`, or is absent (and so denied).
 */
export function buildFieldCatalog(
  supergraphSdl: string,
  classifications: Map<string, Classification>,
  defaultClassification?: Level,
  requirements: Map<string, FieldRequirements> = readRequirements(supergraphSdl),
): FieldCatalog {
  const infos = new Map<string, FieldInfo | undefined>();
  return (coordinate) => {
    if (infos.has(coordinate)) return infos.get(coordinate);
    const classification = classifications.get(coordinate) ?? (defaultClassification ? { level: defaultClassification } : undefined);
    const dot = coordinate.indexOf('.');
    const info = classification && {
      coordinate,
      typeName: coordinate.slice(0, dot),
      fieldName: coordinate.slice(dot + 1),
      classification,
      requirements: requirements.get(coordinate) ?? noRequirements(),
    };
    infos.set(coordinate, info);
    return info;
  };
}

/** A supergraph's field catalog and the requirements it was built from. */
export interface SupergraphCatalog {
  catalog: FieldCatalog;
  requirements: Map<string, FieldRequirements>;
}

/**
 * The one place a pipeline reads classifications and requirements from a supergraph: every step
 * that needs them (authorize, introspection, audit) asks this source, which parses each newly
 * loaded SDL once.
 */
export function catalogSource(
  readClassifications: (supergraphSdl: string) => Map<string, Classification>,
  defaultClassification?: Level,
): (supergraphSdl: string) => SupergraphCatalog {
  let last: { sdl: string; built: SupergraphCatalog } | undefined;
  return (sdl) => {
    if (last?.sdl !== sdl) {
      const requirements = readRequirements(sdl);
      last = { sdl, built: { catalog: buildFieldCatalog(sdl, readClassifications(sdl), defaultClassification, requirements), requirements } };
    }
    return last.built;
  };
}
