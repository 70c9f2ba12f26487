import { allow, and } from 'graphql-shield';
import type { DomainRules } from './domains/types';
import { canReadInClear, canReadMasked, hasPolicyRole, isAnonymousAllowed } from './rules/classification';
import { requirementRules } from './rules/requirements';
import type { ShieldRule } from './shield';
import type { FieldInfo } from './types';

export interface RuleSet {
  domains: readonly DomainRules[];
  namedPolicies: Readonly<Record<string, ShieldRule>>;
}

/** The rule trees of one field: the global read rule (with the directive rules) and the domain rule. */
export interface FieldTrees {
  clear: ShieldRule;
  masked: ShieldRule;
}

const isRule = (value: unknown): value is ShieldRule => typeof (value as ShieldRule | undefined)?.resolve === 'function';

/** Every domain's rules for this field, and-ed; `allow` when no domain adds any. */
export function domainRule(field: FieldInfo, domains: readonly DomainRules[]): ShieldRule {
  const rules = domains.flatMap((d) => {
    const entry = Object.hasOwn(d.rules, field.typeName) ? d.rules[field.typeName] : undefined;
    if (!entry) return [];
    if (isRule(entry)) return [entry];
    return Object.hasOwn(entry, field.fieldName) ? [entry[field.fieldName]] : [];
  });
  return rules.length === 0 ? allow : rules.length === 1 ? rules[0] : and(...rules);
}

/**
 * `and(global, domain)` for both ways of reading. The structure is the guarantee: a domain rule
 * can only remove outcomes the global rules allow, never add any.
 */
export function fieldTrees(field: FieldInfo, ruleSet: RuleSet): FieldTrees {
  const gates = [isAnonymousAllowed, hasPolicyRole, ...requirementRules(field.requirements, ruleSet.namedPolicies)];
  const domain = domainRule(field, ruleSet.domains);
  return {
    clear: and(and(...gates, canReadInClear), domain),
    masked: and(and(...gates, canReadMasked), domain),
  };
}
