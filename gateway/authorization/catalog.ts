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
