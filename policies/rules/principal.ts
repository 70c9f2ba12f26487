import { rule } from 'graphql-shield';
import type { RuleContext } from '../context';

// Building blocks for named policies and domain rules: they read only the PrincipalView.

/** Some role of the principal is one of `roles` (for @policy rules, which hold per request). */
export const principalHasRole = (name: string, ...roles: string[]) =>
  rule(name, { cache: 'contextual' })((_p, _a, ctx: RuleContext) => ctx.principal.roles.some((r) => roles.includes(r)));

/** The role under evaluation is one of `roles` (for domain rules, which tighten role by role). */
export const evaluatedRoleIs = (name: string, ...roles: string[]) =>
  rule(name, { cache: 'contextual' })((_p, _a, ctx: RuleContext) => ctx.roleName !== null && roles.includes(ctx.roleName));

/** The request declares `purpose` and the token grants it. */
export const declaresPurpose = (name: string, purpose: string) =>
  rule(name, { cache: 'contextual' })((_p, _a, ctx: RuleContext) => ctx.principal.purpose === purpose);
