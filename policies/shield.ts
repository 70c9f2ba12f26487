import { allow, and, deny, type IRule } from 'graphql-shield';

/** graphql-shield's rule type (a leaf `rule()` or a logic rule); its index does not export the name. */
export type ShieldRule = Parameters<typeof and>[number];
export type ShieldOptions = Parameters<IRule['resolve']>[4];
export type ShieldContext = Parameters<IRule['resolve']>[2];

/**
 * What `rule.resolve` needs, as `shield()` would normalise it, with deny as the fallback. Rules
 * that throw resolve to false (debug off): a broken rule denies. `strict`-cached rules (inputRule)
 * hash parent and args; at the gateway parent is undefined and args empty.
 */
export const SHIELD_OPTIONS: ShieldOptions = {
  debug: false,
  allowExternalErrors: false,
  fallbackRule: deny,
  fallbackError: new Error('Not Authorised!'),
  hashFunction: ({ parent, args }) => JSON.stringify([parent ?? null, args ?? null]),
};

const compositeNames = new WeakMap<object, string>();

/**
 * Names a composite rule: graphql-shield names only `rule()` leaves, and every decision's reason
 * must be a rule name. Wraps in `and(r)` so shared values (`allow`, `deny`) are never tagged.
 */
export function named(name: string, r: ShieldRule): ShieldRule {
  const node = and(r);
  compositeNames.set(node, name);
  return node;
}

export function isLeaf(r: ShieldRule): r is IRule {
  return !('getRules' in r);
}

/** A leaf's name unless `rule()` made one up (`Math.random()`); `allow`/`deny`; or the name given by `named()`. */
export function nameOf(r: ShieldRule): string | undefined {
  if (isLeaf(r)) return /^0(\.\d*)?$/.test(r.name) ? undefined : r.name;
  if (r === allow) return 'allow';
  if (r === deny) return 'deny';
  return compositeNames.get(r);
}
