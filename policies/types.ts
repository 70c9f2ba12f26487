import type { Classification, Level } from '../shared/classification';
import type { Principal } from '../shared/principal';

export type Decision = 'allow' | 'mask' | 'deny';

/**
 * Apollo Router's authorization directives on a field, as composed into the supergraph:
 * `@requiresScopes(scopes: [[...]])` and `@policy(policies: [[...]])` are OR-of-AND lists.
 */
export interface FieldRequirements {
  authenticated: boolean;
  scopes: string[][];
  policies: string[][];
}

/** Everything a policy knows about one field of the supergraph when deciding. */
export interface FieldInfo {
  /** `Type.field`, e.g. `Customer.email`. */
  coordinate: string;
  typeName: string;
  fieldName: string;
  classification: Classification;
  requirements: FieldRequirements;
}

export interface FieldDecision {
  decision: Decision;
  /** Name of the rule that decided (for errors, logs and the audit trail); never personal data. */
  reason: string;
}

/**
 * A loaded, validated policy: graphql-shield rules plus policy data. Deny is the fallback:
 * a field no rule allows is denied.
 */
export interface Policy {
  /**
   * Decides one field for one principal, given the field's argument values (what `inputRule`s
   * see). The gateway caches by (operation, `principalKey`, and the variables when `readsArguments`).
   */
  decide(principal: Principal, field: FieldInfo, args?: Record<string, unknown>): Promise<FieldDecision>;
  /** Whether any rule reads field arguments (an `inputRule`): decisions then depend on variables too. */
  readsArguments: boolean;
  /** The masked rendition of a value of a field decided `mask`: recognisably masked, never real-looking. */
  mask(field: FieldInfo, value: unknown): unknown;
  /** The principal attributes a decision may depend on, as a stable string (part of the cache key). */
  principalKey(principal: Principal): string;
  /** Whether callers without a token are served (PUBLIC data only) or refused. */
  anonymous: 'allow' | 'deny';
  /** Classification of fields their subgraph left unclassified (foreign subgraphs); absent = error. */
  defaultClassification?: Level;
}
