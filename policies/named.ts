import { and, or } from 'graphql-shield';
import { declaresPurpose, principalHasRole } from './rules/principal';
import { named, type ShieldRule } from './shield';

/**
 * The rules `@policy(policies: [["name"]])` refers to, by name. They read only the PrincipalView
 * (roles, scopes, purpose, anonymity). Row-level conditions ("own orders only") belong in the
 * owning subgraph: here a policy decides whether the field may be asked for at all.
 */
export const namedPolicies: Readonly<Record<string, ShieldRule>> = Object.freeze({
  'sales:read-own': principalHasRole('policy:sales:read-own', 'customer', 'support', 'admin'),
  'sales:read-all': principalHasRole('policy:sales:read-all', 'analyst', 'support', 'admin'),
  'hr:employee-records': named(
    'policy:hr:employee-records',
    or(principalHasRole('isAdmin', 'admin'), and(principalHasRole('isHr', 'hr'), declaresPurpose('declaresHrAdministration', 'hr-administration'))),
  ),
  // Auditors only: an admin administers the data, and the trail exists to check what admins did too.
  'audit:read': principalHasRole('policy:audit:read', 'auditor'),
});
