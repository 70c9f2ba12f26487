import { and, or, rule } from 'graphql-shield';
import type { RuleContext } from '../context';
import type { FieldRequirements } from '../types';
import type { ShieldRule } from '../shield';

// Apollo Router's authorization directives as shield rules. Each present directive adds one rule;
// the field's rule is `and` of them with the classification rules.

export const isAuthenticated = rule('isAuthenticated', { cache: 'contextual' })((_p, _a, ctx: RuleContext) => !ctx.principal.anonymous);

const hasScope = (scope: string) => rule(`hasScope:${scope}`, { cache: 'contextual' })((_p, _a, ctx: RuleContext) => ctx.principal.scopes.includes(scope));

/** A `@policy` name no rule answers to: it denies (and `unknownPolicyNames` reports it at load). */
const unknownPolicy = (name: string) => rule(`unknownPolicy:${name}`, { cache: 'contextual' })(() => false);

/** `[[a, b], [c]]` → `or(and(a, b), and(c))`: at least one inner list fully satisfied. */
const orOfAnd = (lists: string[][], leaf: (name: string) => ShieldRule) => or(...lists.map((list) => and(...list.map(leaf))));

export function requirementRules(requirements: FieldRequirements, namedPolicies: Readonly<Record<string, ShieldRule>>): ShieldRule[] {
  const rules: ShieldRule[] = [];
  if (requirements.authenticated) rules.push(isAuthenticated);
  if (requirements.scopes.length) rules.push(orOfAnd(requirements.scopes, hasScope));
  if (requirements.policies.length) {
    rules.push(orOfAnd(requirements.policies, (name) => (Object.hasOwn(namedPolicies, name) ? namedPolicies[name] : unknownPolicy(name))));
  }
  return rules;
}

/** Policy names used by `@policy` that no named rule defines, for reporting when the supergraph loads. */
export function unknownPolicyNames(requirements: Iterable<FieldRequirements>, namedPolicies: Readonly<Record<string, ShieldRule>>): string[] {
  const unknown = new Set<string>();
  for (const req of requirements) for (const name of req.policies.flat()) if (!Object.hasOwn(namedPolicies, name)) unknown.add(name);
  return [...unknown].sort();
}
