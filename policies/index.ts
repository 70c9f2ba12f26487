import type { Principal } from '../shared/principal';
import { principalKey } from './context';
import type { PolicyData } from './data';
import { decide } from './decide';
import { checkRuleSet } from './check-rules';
import { domainRules, type DomainRules } from './domains';
import { DEFAULT_POLICY_FILE, loadPolicyData, policyInvalid } from './load-data';
import { createMask } from './masking/mask';
import { namedPolicies } from './named';
import { unknownPolicyNames } from './rules/requirements';
import type { ShieldRule } from './shield';
import { fieldTrees, type FieldTrees, type RuleSet } from './trees';
import type { FieldInfo, FieldRequirements, Policy } from './types';

export type { PolicyData, RoleData, Grant, OwnData, MaskingData } from './data';
export type { DomainRules } from './domains';
export type { RuleContext, PrincipalView } from './context';
export { DEFAULT_POLICY_FILE, loadPolicyData, validatePolicyData } from './load-data';
export { MASKERS, REDACTED } from './masking/maskers';
export { principalKey } from './context';
export { domainRules } from './domains';
export { namedPolicies } from './named';
export { named, SHIELD_OPTIONS, type ShieldRule } from './shield';

export interface PolicyOptions {
  /** Domain rules, combined with the global rules by `and`; default: every domain in `policies/domains/`. */
  domains?: readonly DomainRules[];
  /** Rules `@policy` names refer to; default: `policies/named.ts`. */
  namedPolicies?: Readonly<Record<string, ShieldRule>>;
}

/** A Policy from validated data and rules; throws POLICY_INVALID when a rule is unnamed or a name is taken twice. */
export function createPolicy(data: PolicyData, options: PolicyOptions = {}): Policy {
  const ruleSet: RuleSet = { domains: options.domains ?? domainRules, namedPolicies: options.namedPolicies ?? namedPolicies };
  const problems = checkRuleSet(ruleSet);
  if (problems.length) throw policyInvalid(data.file, problems);
  const trees = new Map<string, FieldTrees>();
  const treesFor = (field: FieldInfo) => {
    const key = `${field.typeName}.${field.fieldName} ${JSON.stringify(field.requirements)}`;
    let found = trees.get(key);
    if (!found) trees.set(key, (found = fieldTrees(field, ruleSet)));
    return found;
  };
  return {
    decide: (principal: Principal, field: FieldInfo, args?: Record<string, unknown>) => decide(principal, field, data, treesFor(field), args),
    readsArguments: readsArguments(ruleSet),
    mask: createMask(data.masking),
    principalKey,
    anonymous: data.anonymous,
    ...(data.defaultClassification && { defaultClassification: data.defaultClassification }),
  };
}

/**
 * Whether any domain or named rule is an `inputRule` (graphql-shield exports no class to test
 * with `instanceof`; its logic rules keep their operands in `rules`).
 */
function readsArguments(ruleSet: RuleSet): boolean {
  const isInput = (rule: unknown): boolean =>
    typeof rule === 'object' && rule !== null &&
    (rule.constructor?.name === 'InputRule' || (Array.isArray((rule as { rules?: unknown }).rules) && (rule as { rules: unknown[] }).rules.some(isInput)));
  const domainRules = ruleSet.domains.flatMap((d) => Object.values(d.rules).flatMap((r) => (typeof (r as ShieldRule).resolve === 'function' ? [r] : Object.values(r))));
  return [...domainRules, ...Object.values(ruleSet.namedPolicies)].some(isInput);
}

/** Loads `policy.yaml` (default: the one next to this file) with the rules in `policies/`. */
export function loadPolicy(file: string = DEFAULT_POLICY_FILE, options: PolicyOptions = {}): Policy {
  return createPolicy(loadPolicyData(file), options);
}

/**
 * For start-up: every `@policy` name in the supergraph must name a rule. Throws POLICY_INVALID
 * naming each field and unknown name (at request time an unknown name simply denies).
 */
export function assertKnownPolicies(requirements: Map<string, FieldRequirements>, policies: Readonly<Record<string, ShieldRule>> = namedPolicies): void {
  const problems = [...requirements].flatMap(([coordinate, req]) =>
    unknownPolicyNames([req], policies).map((name) => ({ key: coordinate, message: `@policy names ${JSON.stringify(name)}, which no rule in policies/named.ts defines` })),
  );
  if (problems.length) throw policyInvalid('supergraph', problems);
}

