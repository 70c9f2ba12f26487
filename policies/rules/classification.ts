import { or, rule } from 'graphql-shield';
import { isLevel, levelRank, type Level } from '../../shared/classification';
import type { Grant } from '../data';
import type { RuleContext } from '../context';
import { named } from '../shield';

// Global rules: they read the policy data of the role being evaluated (ctx.role) and the field's
// classification. `contextual` cache: clear and masked trees of one evaluation share results.
const global = (name: string, test: (ctx: RuleContext) => boolean) =>
  rule(name, { cache: 'contextual' })((_parent, _args, ctx: RuleContext) => test(ctx));

// A level outside LEVELS (a catalog bug) ranks -1: refuse it rather than rank it below PUBLIC.
const atMost = (level: Level, ceiling: Level) => isLevel(level) && levelRank(level) <= levelRank(ceiling);

function covers(grant: Grant, { field, principal }: RuleContext): boolean {
  const { level, category } = field.classification;
  return (
    category !== undefined &&
    grant.categories.includes(category) &&
    atMost(level, grant.upTo) &&
    (!grant.types || grant.types.includes(field.typeName)) &&
    (!grant.purposes || (principal.purpose !== null && grant.purposes.includes(principal.purpose)))
  );
}

export const isAnonymousAllowed = global('isAnonymousAllowed', (ctx) => !ctx.principal.anonymous || ctx.data.anonymous === 'allow');

/** Unknown roles fall through to deny: a principal needs a role the policy defines (or to be anonymous). */
export const hasPolicyRole = global('hasPolicyRole', (ctx) => ctx.role !== undefined);

export const isWithinClearance = global(
  'isWithinClearance',
  ({ role, field }) => !!role && field.classification.category === undefined && atMost(field.classification.level, role.clearance),
);

export const hasClearGrant = global('hasClearGrant', (ctx) => !!ctx.role && ctx.role.clear.some((g) => covers(g, ctx)));

export const isOwnData = global('isOwnData', ({ role, field }) => {
  const own = role?.ownData;
  return !!own && (own.types.includes(field.typeName) || own.fields.includes(field.coordinate)) && atMost(field.classification.level, own.upTo);
});

export const hasMaskedGrant = global('hasMaskedGrant', (ctx) => !!ctx.role && ctx.role.masked.some((g) => covers(g, ctx)));

/** Read in clear: within clearance (no personal data), a clear grant, or own data. */
export const canReadInClear = named('canReadInClear', or(isWithinClearance, hasClearGrant, isOwnData));

/** Read masked: personal data a masked grant covers. */
export const canReadMasked = named('canReadMasked', hasMaskedGrant);
