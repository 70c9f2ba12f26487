import { createHash } from 'node:crypto';
import { Kind, print, visit, type DocumentNode, type FieldNode, type SelectionSetNode } from 'graphql';
import type { Decision, FieldInfo, Policy } from '../../policies/types';
import type { Principal } from '../../shared/principal';
import type { SelectedField } from './walk';

/** One field's outcome for this operation and principal; the audit trail records these. */
export interface FieldOutcome {
  coordinate: string;
  path: string[];
  decision: Decision;
  reason: string;
}

/** Where the response needs work after execution: masks to apply and denied keys to null. */
export interface ResponseTrie {
  children: Map<string, ResponseTrie>;
  /** The field at this key is non-null: a null it must take goes to the nearest nullable parent. */
  nonNull: boolean;
  /** Set when a selection at this key was denied (its key is then absent from the result). */
  denied?: { coordinate: string };
  /** Set when the value at this key is to be masked, with the field it belongs to. */
  mask?: FieldInfo;
}

export interface AuthorizationPlan {
  /** The document to execute: the original when nothing is denied, else a new one without denied fields. */
  document: DocumentNode;
  /** Apollo's plan cache key for `document`; must change with the document (one role's plan must not serve another). */
  queryHash: string;
  outcomes: FieldOutcome[];
  /** One FORBIDDEN error per denied selection, at its path in the operation (`@` for list items). */
  denied: { coordinate: string; errorPath: string[]; reason: string }[];
  /** Null when the response needs no work. */
  trie: ResponseTrie | null;
}

/** Fields left unclassified are denied: the gateway fails closed. */
export type FieldCatalog = (coordinate: string) => FieldInfo | undefined;

const RANK: Record<Decision, number> = { allow: 0, mask: 1, deny: 2 };

/** Response key of the `__typename` kept in selection sets emptied by denials; removed from responses. */
export const EMPTY_SELECTION_KEY = '__meshgate_empty';

const EMPTY_SELECTION: FieldNode = {
  kind: Kind.FIELD,
  alias: { kind: Kind.NAME, value: EMPTY_SELECTION_KEY },
  name: { kind: Kind.NAME, value: '__typename' },
};

export function hashQuery(document: DocumentNode): string {
  return createHash('sha256').update(print(document)).digest('hex');
}

/** The strictest decision over every coordinate a selection may read. */
async function decideField(field: SelectedField, principal: Principal, policy: Policy, catalog: FieldCatalog) {
  let worst: { decision: Decision; reason: string; coordinate: string; info?: FieldInfo } = { decision: 'allow', reason: 'allowed', coordinate: field.coordinates[0] };
  for (const coordinate of field.coordinates) {
    const info = catalog(coordinate);
    const outcome = info ? await policy.decide(principal, info, field.args) : { decision: 'deny' as const, reason: 'unclassified-field' };
    if (RANK[outcome.decision] > RANK[worst.decision] || (outcome.decision === worst.decision && !worst.info)) {
      worst = { ...outcome, coordinate, info };
    }
  }
  return worst;
}

function removeDenied(document: DocumentNode, denied: Set<FieldNode>): DocumentNode {
  const pruned = visit(document, {
    Field: { enter: (node) => (denied.has(node) ? null : undefined) },
    SelectionSet: {
      leave: (node: SelectionSetNode) => (node.selections.length ? undefined : { ...node, selections: [EMPTY_SELECTION] }),
    },
  });
  // Fragments only used inside removed fields are now unused, which a document may not contain.
  let definitions = pruned.definitions;
  for (;;) {
    const used = new Set<string>();
    for (const def of definitions) {
      visit(def, { FragmentSpread: (spread) => void used.add(spread.name.value) });
    }
    const kept = definitions.filter((d) => d.kind !== Kind.FRAGMENT_DEFINITION || used.has(d.name.value));
    if (kept.length === definitions.length) return { ...pruned, definitions };
    definitions = kept;
  }
}

/** Decides every selected field, removes denied ones from the document and plans the response work. */
export async function planAuthorization(
  document: DocumentNode,
  queryHash: string,
  fields: SelectedField[],
  principal: Principal,
  policy: Policy,
  catalog: FieldCatalog,
): Promise<AuthorizationPlan> {
  const outcomes: FieldOutcome[] = [];
  const deniedNodes = new Set<FieldNode>();
  const denied: AuthorizationPlan['denied'] = [];
  const seenErrorPaths = new Set<string>();
  let trie: ResponseTrie | null = null;
  // Nullability by response path; a key shared by several type-conditioned selections is non-null if any is.
  const nonNullAt = new Map<string, boolean>();
  for (const field of fields) {
    const key = field.path.join('\u0000');
    nonNullAt.set(key, (nonNullAt.get(key) ?? false) || field.nonNull);
  }
  const trieAt = (path: string[]) => {
    trie ??= { children: new Map(), nonNull: false };
    let node = trie;
    for (let i = 0; i < path.length; i++) {
      let child = node.children.get(path[i]);
      if (!child) node.children.set(path[i], (child = { children: new Map(), nonNull: nonNullAt.get(path.slice(0, i + 1).join('\u0000')) ?? false }));
      node = child;
    }
    return node;
  };

  const deniedFields = new Set<SelectedField>();
  const underDenied = (field: SelectedField) => {
    for (let p = field.parent; p; p = p.parent) if (deniedFields.has(p)) return true;
    return false;
  };
  for (const field of fields) {
    // Removed with a denied ancestor: neither decided nor reported. The walk lists parents first.
    if (underDenied(field)) continue;
    const outcome = await decideField(field, principal, policy, catalog);
    outcomes.push({ coordinate: outcome.coordinate, path: field.path, decision: outcome.decision, reason: outcome.reason });
    if (outcome.decision === 'deny') {
      deniedNodes.add(field.node);
      deniedFields.add(field);
      trieAt(field.path).denied = { coordinate: outcome.coordinate };
      const key = field.errorPath.join('.');
      if (!seenErrorPaths.has(key)) {
        seenErrorPaths.add(key);
        denied.push({ coordinate: outcome.coordinate, errorPath: field.errorPath, reason: outcome.reason });
      }
    } else if (outcome.decision === 'mask') {
      trieAt(field.path).mask ??= outcome.info;
    }
  }

  if (deniedNodes.size === 0) return { document, queryHash, outcomes, denied, trie };
  const rewritten = removeDenied(document, deniedNodes);
  return { document: rewritten, queryHash: hashQuery(rewritten), outcomes, denied, trie };
}
