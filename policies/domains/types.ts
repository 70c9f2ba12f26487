import type { ShieldRule } from '../shield';

/**
 * A domain's own rules for its own types, in graphql-shield's rule-map shape: a rule for every
 * field of a type, or rules per field. The gateway combines them as `and(global, domain)`: a
 * domain can tighten the global rules, never loosen them.
 */
export interface DomainRules {
  domain: string;
  rules: Record<string, ShieldRule | Record<string, ShieldRule>>;
}
