import { Kind, type ConstDirectiveNode, type DirectiveNode, type DocumentNode } from 'graphql';
import {
  CLASSIFICATION_SPEC_URL,
  isCategory,
  isLevel,
  LEVELS,
  PERSONAL_DATA_CATEGORIES,
  type Classification,
} from '../../shared/classification';

/** The spec's identity without its version: `https://meshgate.dev/classification`. */
const SPEC_IDENTITY = CLASSIFICATION_SPEC_URL.replace(/\/v\d+\.\d+$/, '');
const SPEC_NAME = SPEC_IDENTITY.slice(SPEC_IDENTITY.lastIndexOf('/') + 1);

function stringArg(directive: DirectiveNode, name: string): string | undefined {
  const value = directive.arguments?.find((a) => a.name.value === name)?.value;
  return value?.kind === Kind.STRING ? value.value : undefined;
}

/**
 * The name `@classified` goes by in a subgraph or supergraph document, following the
 * `@link(url: "https://meshgate.dev/classification/v1.x", import: [...])` on its schema:
 * `classified` when imported as is (or when the document does not link the spec at all),
 * the `as` of an import `{ name: "@classified", as: "@…" }`, or the namespaced
 * `classification__classified` (or `<as>__classified`) when the link does not import it.
 */
export function classifiedDirectiveName(doc: DocumentNode): string {
  for (const def of doc.definitions) {
    if (def.kind !== Kind.SCHEMA_DEFINITION && def.kind !== Kind.SCHEMA_EXTENSION) continue;
    for (const link of def.directives ?? []) {
      if (link.name.value !== 'link') continue;
      const url = stringArg(link, 'url');
      if (!url || !(url === SPEC_IDENTITY || url.startsWith(`${SPEC_IDENTITY}/v`))) continue;
      const imports = link.arguments?.find((a) => a.name.value === 'import')?.value;
      for (const item of imports?.kind === Kind.LIST ? imports.values : []) {
        if (item.kind === Kind.STRING && item.value === '@classified') return 'classified';
        if (item.kind === Kind.OBJECT) {
          const field = (n: string) => {
            const v = item.fields.find((f) => f.name.value === n)?.value;
            return v?.kind === Kind.STRING ? v.value : undefined;
          };
          if (field('name') === '@classified') return (field('as') ?? '@classified').replace(/^@/, '');
        }
      }
      return `${stringArg(link, 'as') ?? SPEC_NAME}__classified`;
    }
  }
  return 'classified';
}

/** An application of `@classified`: its classification when valid, else why it is not. */
export type ReadApplication = { ok: true; classification: Classification } | { ok: false; reason: string };

/** Reads and validates one `@classified(level:, category:)` application. */
export function readApplication(directive: DirectiveNode | ConstDirectiveNode): ReadApplication {
  const arg = (name: string) => directive.arguments?.find((a) => a.name.value === name)?.value;
  const level = arg('level');
  const category = arg('category');
  if (!level) return { ok: false, reason: `level is missing (one of ${LEVELS.join(', ')})` };
  if (level.kind !== Kind.STRING) return { ok: false, reason: `level must be a string, one of ${LEVELS.map((l) => `"${l}"`).join(', ')}` };
  if (!isLevel(level.value)) return { ok: false, reason: `level "${level.value}" is not one of ${LEVELS.join(', ')}` };
  if (!category || category.kind === Kind.NULL) return { ok: true, classification: { level: level.value } };
  if (category.kind !== Kind.STRING) return { ok: false, reason: `category must be a string, one of ${PERSONAL_DATA_CATEGORIES.map((c) => `"${c}"`).join(', ')}` };
  if (!isCategory(category.value)) return { ok: false, reason: `category "${category.value}" is not one of ${PERSONAL_DATA_CATEGORIES.join(', ')}` };
  return { ok: true, classification: { level: level.value, category: category.value } };
}

/** `file:line:column` of a node parsed from a named source, if it has a location. */
export function locationOf(node: { loc?: { source: { name: string }; startToken: { line: number; column: number } } } | undefined): string | undefined {
  return node?.loc ? `${node.loc.source.name}:${node.loc.startToken.line}:${node.loc.startToken.column}` : undefined;
}
