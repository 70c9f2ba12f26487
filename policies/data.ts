import type { Level, PersonalDataCategory } from '../shared/classification';
import type { MaskerName } from './masking/maskers';

/**
 * One way a role reads personal data: fields of the listed categories up to a level, optionally
 * only fields of some types, or only for some purposes.
 */
export interface Grant {
  categories: PersonalDataCategory[];
  upTo: Level;
  /** Only fields of these types; absent = fields of every type. */
  types?: string[];
  /** Only when the request declares one of these purposes and the token grants it; absent = any purpose or none. */
  purposes?: string[];
}

/**
 * The caller's own records: every field of these types, and these single fields (`Query.orders`),
 * personal data or not, up to a level. Only for types whose subgraph filters the rows to the caller's own.
 */
export interface OwnData {
  types: string[];
  fields: string[];
  upTo: Level;
}

export interface RoleData {
  /** Fields that hold no personal data, up to this level, in clear. Personal data always needs a grant. */
  clearance: Level;
  /** Personal data in clear. */
  clear: Grant[];
  /** Personal data masked, where no clear grant applies. */
  masked: Grant[];
  ownData?: OwnData;
}

export interface MaskingData {
  /** Coordinate patterns in file order (`*` matches any characters, dots included); the first match names the masker. */
  fields: { pattern: string; masker: MaskerName }[];
  /** The masker for a category when no pattern matches; `redact` when absent. */
  categories: Partial<Record<PersonalDataCategory, MaskerName>>;
}

/** The parsed, validated contents of `policy.yaml`. */
export interface PolicyData {
  file: string;
  anonymous: 'allow' | 'deny';
  defaultClassification?: Level;
  roles: Record<string, RoleData>;
  masking: MaskingData;
}

/** Anonymous callers, when the policy serves them: fields holding no personal data at PUBLIC. */
export const ANONYMOUS_ROLE: RoleData = Object.freeze({ clearance: 'PUBLIC', clear: [], masked: [] });

/** A role's data; undefined for names the policy does not define (own keys only: `constructor` is no role). */
export function roleData(data: PolicyData, name: string): RoleData | undefined {
  return Object.hasOwn(data.roles, name) ? data.roles[name] : undefined;
}
