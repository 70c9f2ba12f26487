import type { FieldInfo } from '../types';
import type { MaskingData } from '../data';
import { MASKERS, type MaskerName } from './maskers';

function globToRegExp(pattern: string): RegExp {
  return new RegExp(`^${pattern.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
}

/** Compiles the `masking:` section into `mask(field, value)`. */
export function createMask(masking: MaskingData): (field: FieldInfo, value: unknown) => unknown {
  const patterns = masking.fields.map(({ pattern, masker }) => ({ test: globToRegExp(pattern), masker }));
  const maskerFor = (path: string, field: FieldInfo): MaskerName =>
    patterns.find((p) => p.test.test(path))?.masker ??
    (field.classification.category && masking.categories[field.classification.category]) ??
    'redact';

  // Nested values are matched by their path below the field (`Customer.address.street`).
  const walk = (field: FieldInfo, path: string, value: unknown): unknown => {
    if (value === null || value === undefined) return value;
    if (typeof value === 'string') return MASKERS[maskerFor(path, field)](value);
    if (Array.isArray(value)) return value.map((item) => walk(field, path, item));
    if (typeof value === 'object') {
      const result: Record<string, unknown> = {};
      for (const [key, child] of Object.entries(value)) {
        result[key] = key === '__typename' ? child : walk(field, `${path}.${key}`, child);
      }
      return result;
    }
    // Numbers and booleans cannot carry a visible mask and still fit their GraphQL type: null.
    return null;
  };
  return (field, value) => walk(field, field.coordinate, value);
}
