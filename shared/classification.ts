/**
 * Data classification, declared by each domain in its subgraph schema and enforced by the gateway.
 * Levels are ordered: a role cleared for a level may read every level below it.
 */
export const LEVELS = ['PUBLIC', 'INTERNAL', 'CONFIDENTIAL', 'RESTRICTED'] as const;
export type Level = (typeof LEVELS)[number];

/** Kinds of personal data; a personal-data field must name one. */
export const PERSONAL_DATA_CATEGORIES = ['CONTACT', 'IDENTITY', 'FINANCIAL', 'FREE_TEXT', 'LOCATION'] as const;
export type PersonalDataCategory = (typeof PERSONAL_DATA_CATEGORIES)[number];

export interface Classification {
  level: Level;
  /** Present exactly when the field holds personal data. */
  category?: PersonalDataCategory;
}

/** The spec subgraphs `@link` to import `@classified`; composition keeps it via `@composeDirective`. */
export const CLASSIFICATION_SPEC_URL = 'https://meshgate.dev/classification/v1.0';

/**
 * The directive's definition, as each subgraph declares it. String arguments (not enums) keep the
 * vocabulary out of the client-visible API schema; `repeatable` keeps every subgraph's
 * application of a shared field through composition, so the gateway can apply the strictest.
 */
export const CLASSIFIED_DIRECTIVE_SDL =
  'directive @classified(level: String!, category: String) repeatable on OBJECT | INTERFACE | FIELD_DEFINITION';

export function isLevel(value: unknown): value is Level {
  return typeof value === 'string' && (LEVELS as readonly string[]).includes(value);
}

export function isCategory(value: unknown): value is PersonalDataCategory {
  return typeof value === 'string' && (PERSONAL_DATA_CATEGORIES as readonly string[]).includes(value);
}

export function levelRank(level: Level): number {
  return LEVELS.indexOf(level);
}

/** The stricter of two classifications: the higher level; personal data wins over none. */
export function stricter(a: Classification, b: Classification): Classification {
  const level = levelRank(a.level) >= levelRank(b.level) ? a.level : b.level;
  const category = a.category ?? b.category;
  return category ? { level, category } : { level };
}
