import type { GraphQLResolveInfo } from 'graphql';
import type { Principal } from '../shared/principal';
import { ANONYMOUS_ROLE, roleData, type PolicyData } from './data';
import { viewOf, type RuleContext } from './context';
import { explain } from './explain';
import { canReadInClear, canReadMasked } from './rules/classification';
import { SHIELD_OPTIONS, type ShieldRule } from './shield';
import type { FieldTrees } from './trees';
import type { Decision, FieldDecision, FieldInfo } from './types';

const RANK: Record<Decision, number> = { deny: 0, mask: 1, allow: 2 };

/** The roles to evaluate: anonymous alone; else the known roles, sorted; else one evaluation without a role (denied). */
function evaluations(principal: Principal, data: PolicyData): { roleName: string | null; role: RuleContext['role'] }[] {
  const view = viewOf(principal);
  if (view.anonymous) return [{ roleName: null, role: ANONYMOUS_ROLE }];
  const known = view.roles.flatMap((name) => {
    const role = roleData(data, name);
    return role ? [{ roleName: name, role }] : [];
  });
  return known.length ? known : [{ roleName: null, role: undefined }];
}

async function decideForRole(ctx: RuleContext, trees: FieldTrees, args: Record<string, unknown>): Promise<FieldDecision> {
  // Rules see the field's arguments but no parent value: row-level rules run in the subgraphs.
  const info = { fieldName: ctx.field.fieldName, parentType: { name: ctx.field.typeName } } as unknown as GraphQLResolveInfo;
  const run = async (r: ShieldRule) => (await r.resolve(undefined as unknown as object, args, ctx, info, SHIELD_OPTIONS)) === true;
  if (await run(trees.clear)) return { decision: 'allow', reason: await explain(canReadInClear, run) };
  if (await run(trees.masked)) return { decision: 'mask', reason: await explain(canReadMasked, run) };
  return { decision: 'deny', reason: await explain(trees.clear, run) };
}

/**
 * Several roles: the most permissive outcome over the roles, each judged on its own (a role's
 * clearance never combines with another role's grant). Ties keep the first role, by name.
 */
export async function decide(principal: Principal, field: FieldInfo, data: PolicyData, trees: FieldTrees, args: Record<string, unknown> = {}): Promise<FieldDecision> {
  const view = viewOf(principal);
  let best: FieldDecision | undefined;
  for (const { roleName, role } of evaluations(principal, data)) {
    const ctx: RuleContext = { principal: view, field, data, roleName, role, _shield: { cache: {} } };
    const outcome = await decideForRole(ctx, trees, args);
    if (!best || RANK[outcome.decision] > RANK[best.decision]) best = outcome;
    if (best.decision === 'allow') break;
  }
  return best!;
}
