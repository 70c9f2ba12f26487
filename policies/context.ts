import type { Principal } from '../shared/principal';
import { isAnonymous } from '../shared/principal';
import type { PolicyData, RoleData } from './data';
import type { ShieldContext } from './shield';
import type { FieldInfo } from './types';

/**
 * The only principal attributes rules may read. Rules get this view, never the Principal, so
 * `principalKey` (the decision cache key) covers everything a decision depends on.
 */
export interface PrincipalView {
  anonymous: boolean;
  roles: string[];
  scopes: string[];
  /** The declared purpose when the token grants it; a purpose the token does not grant counts as none. */
  purpose: string | null;
}

/** The `ctx` every rule receives: one per (principal, field, role) evaluation. */
export interface RuleContext extends ShieldContext {
  principal: PrincipalView;
  field: FieldInfo;
  data: PolicyData;
  /** The role this evaluation is for; null for an anonymous caller or a principal without a known role. */
  roleName: string | null;
  /** That role's data; undefined when the principal has no role the policy knows. */
  role: RoleData | undefined;
}

const sortedUnique = (values: string[]) => [...new Set(values)].sort();

export function viewOf(principal: Principal): PrincipalView {
  const purpose = principal.purpose !== null && principal.grantedPurposes.includes(principal.purpose) ? principal.purpose : null;
  return { anonymous: isAnonymous(principal), roles: sortedUnique(principal.roles), scopes: sortedUnique(principal.scopes), purpose };
}

/** Stable across subjects: two users with the same roles, scopes and purpose share decisions. */
export function principalKey(principal: Principal): string {
  return JSON.stringify(viewOf(principal));
}
