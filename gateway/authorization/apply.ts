import type { Policy } from '../../policies/types';
import { EMPTY_SELECTION_KEY, type ResponseTrie } from './plan';

type Json = null | string | number | boolean | Json[] | { [key: string]: Json };

/**
 * Applies an authorization plan to an execution result, in place: masks values at masked keys
 * (whatever their alias), puts `null` where a denied field was removed, and when that field is
 * non-null, nulls its nearest nullable parent instead, as GraphQL execution would.
 * Returns the data, which is `null` when the nulling reaches the root.
 */
export function applyToResponse(data: Record<string, Json> | null | undefined, trie: ResponseTrie, policy: Policy) {
  if (!data) return data;
  return processObject(data, trie, policy) ? null : data;
}

/** Returns true when the object itself must become null (a non-null child was denied). */
function processObject(obj: Record<string, Json>, trie: ResponseTrie, policy: Policy): boolean {
  delete obj[EMPTY_SELECTION_KEY];
  for (const [key, child] of trie.children) {
    if (!(key in obj)) {
      if (!child.denied) continue;
      if (child.nonNull) return true;
      obj[key] = null;
      continue;
    }
    const value = obj[key];
    if (value === null) continue;
    if (child.mask) {
      const masked = policy.mask(child.mask, value) as Json;
      // Values with no masked form (numbers) become null; a non-null field passes that to its parent.
      if (masked === null && child.nonNull) return true;
      obj[key] = masked;
    } else if (child.children.size && processValue(value, child, policy)) {
      if (child.nonNull) return true;
      obj[key] = null;
    }
  }
  return false;
}

function processValue(value: Json, trie: ResponseTrie, policy: Policy): boolean {
  if (Array.isArray(value)) {
    // A list item that must be null makes the whole list null: item nullability is not tracked.
    return value.some((item) => item !== null && processValue(item, trie, policy));
  }
  if (typeof value === 'object' && value !== null) return processObject(value, trie, policy);
  return false;
}
