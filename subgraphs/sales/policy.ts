import type { GraphQLResolveInfo, GraphQLSchema } from 'graphql';
import { applyMiddleware, type IMiddlewareGenerator, type IMiddlewareTypeMap } from 'graphql-middleware';
import { allow, deny, rule, shield } from 'graphql-shield';
import type { DomainContext } from '../../shared/domain';
import { graphqlError } from '../../shared/errors';
import type { Principal } from '../../shared/principal';

/**
 * Row-level rules of the sales domain, enforced here where the rows are (the gateway only sees
 * the operation, never the rows). A principal with the role `customer` reads only its own
 * customer record and its own orders; `attributes.customerId` says which. Every other principal
 * (including ANONYMOUS: the gateway decides who may call at all) is not restricted here.
 *
 * Two layers:
 * 1. Scoping (graphql-middleware): lists are narrowed in SQL, so pages, cursors and totalCount
 *    only ever cover the customer's own rows: `orders`, `Customer.orders`, `SalesRep.orders` get
 *    `filter.customerId` forced, `customers` gets the internal `filter.id`. Lookups by id
 *    (`customer`, `order`) of someone else's record answer null, exactly like an unknown id, so
 *    nobody learns which ids exist.
 * 2. Shield rules on the resolved objects: every field of a `Customer` or `Order` checks its
 *    parent against the principal, whatever path produced it (`_entities` from the gateway,
 *    `Order.customer`, a field added later). Another customer's entity fails with FORBIDDEN.
 *    Unlisted types fall back to deny, so a new type must be classified here to be readable.
 * `_entities` and `_service` stay allowed: request signing (shared/signing.ts) keeps them the
 * gateway's.
 */

export const CUSTOMER_ROLE = 'customer';

type Ctx = DomainContext<unknown>;

/** Which customers' rows a principal may read: all, or one customer (none when its id is missing). */
export type RowScope = { all: true } | { all: false; customerId: string | null };

const ALL: RowScope = Object.freeze({ all: true });

export function rowScope(principal: Principal | undefined): RowScope {
  // A context without a principal is a wiring bug: fail closed (masked as INTERNAL_SERVER_ERROR).
  if (!principal) throw new Error('sales policy: no principal in the request context');
  if (!principal.roles.includes(CUSTOMER_ROLE)) return ALL;
  const id = principal.attributes.customerId;
  return { all: false, customerId: typeof id === 'string' && id !== '' ? id : null };
}

function mayReadCustomer(scope: RowScope, customerId: unknown): boolean {
  if (scope.all) return true;
  return scope.customerId !== null && customerId != null && String(customerId) === scope.customerId;
}

const forbidden = (_err: unknown, _parent: unknown, _args: unknown, _ctx: unknown, info: GraphQLResolveInfo) =>
  graphqlError('FORBIDDEN', `not allowed to read this ${info.parentType.name}`);

// Parent-dependent rules: never cached across objects.
const ownCustomer = rule('sales-own-customer', { cache: 'no_cache' })((parent: { id?: unknown } | null, _args, ctx: Ctx) =>
  mayReadCustomer(rowScope(ctx.principal), parent?.id),
);
const ownOrder = rule('sales-own-order', { cache: 'no_cache' })((parent: { customerId?: unknown } | null, _args, ctx: Ctx) =>
  mayReadCustomer(rowScope(ctx.principal), parent?.customerId),
);

/** Every object type of the sales schema, classified. Reachable only through a checked parent: allow. */
export const permissions = {
  Query: { '*': allow },
  Customer: ownCustomer,
  Order: ownOrder,
  // Reached only through a checked Customer or Order.
  CustomerSalesSummary: allow,
  OrderLine: allow,
  // Not customer data: staff directory, product-level figures, page plumbing.
  SalesRep: allow,
  Product: allow,
  ProductSalesStats: allow,
  PostalAddress: allow,
  PageInfo: allow,
  OrderEdge: allow,
  OrderConnection: allow,
  CustomerEdge: allow,
  CustomerConnection: allow,
  _Service: allow,
};

type Resolve = (parent: unknown, args: any, ctx: Ctx, info: GraphQLResolveInfo) => Promise<any>;
type Args = { id?: string; filter?: Record<string, unknown> | null };

const emptyConnection = () => ({ edges: [], nodes: [], pageInfo: { hasNextPage: false, endCursor: null }, totalCount: 0 });

/** Orders lists: only the customer's own rows, in SQL (`filter.customerId`); asking for another customer's gives none. */
async function scopeOrders(resolve: Resolve, parent: unknown, args: Args, ctx: Ctx, info: GraphQLResolveInfo) {
  const scope = rowScope(ctx.principal);
  if (scope.all) return resolve(parent, args, ctx, info);
  const requested = args.filter?.customerId;
  if (scope.customerId === null || (requested != null && String(requested) !== scope.customerId)) return emptyConnection();
  return resolve(parent, { ...args, filter: { ...args.filter, customerId: scope.customerId } }, ctx, info);
}

export const scoping: IMiddlewareTypeMap = {
  Query: {
    customer: async (resolve: Resolve, parent: unknown, args: Args, ctx: Ctx, info: GraphQLResolveInfo) => {
      const scope = rowScope(ctx.principal);
      if (!mayReadCustomer(scope, args.id)) return null;
      return resolve(parent, args, ctx, info);
    },
    customers: async (resolve: Resolve, parent: unknown, args: Args, ctx: Ctx, info: GraphQLResolveInfo) => {
      const scope = rowScope(ctx.principal);
      if (scope.all) return resolve(parent, args, ctx, info);
      if (scope.customerId === null) return emptyConnection();
      return resolve(parent, { ...args, filter: { ...args.filter, id: scope.customerId } }, ctx, info);
    },
    order: async (resolve: Resolve, parent: unknown, args: Args, ctx: Ctx, info: GraphQLResolveInfo) => {
      const scope = rowScope(ctx.principal);
      const order = await resolve(parent, args, ctx, info);
      if (scope.all || order == null || order instanceof Error) return order;
      return mayReadCustomer(scope, order.customerId) ? order : null;
    },
    orders: scopeOrders,
  },
  Customer: { orders: scopeOrders },
  SalesRep: { orders: scopeOrders },
};

const FALLBACK_RULE = deny;

/** The rule shield applies to a field: the type's rule, else the field's, else the type's `*`, else the fallback. */
function ruleOf(typeName: string, fieldName: string): unknown {
  const entry = (permissions as Record<string, unknown>)[typeName];
  if (entry === undefined) return FALLBACK_RULE;
  if (Object.getPrototypeOf(entry) !== Object.prototype) return entry; // a rule for the whole type
  const fields = entry as Record<string, unknown>;
  return fields[fieldName] ?? fields['*'] ?? FALLBACK_RULE;
}

/**
 * The sales subgraph schema with its row-level rules: shield outermost (decides first), then
 * scoping. Fields whose rule is `allow` are left unwrapped: shield's middleware there only passes
 * through, yet wrapping every field in an async step doubled the execution time of a 100-order
 * query. Every other field (the checked types, and anything falling back to deny) keeps it.
 */
export function applySalesPolicy(schema: GraphQLSchema): GraphQLSchema {
  const rules = shield(permissions, {
    fallbackRule: FALLBACK_RULE,
    fallbackError: forbidden,
    // Resolver errors (BAD_USER_INPUT, NOT_FOUND, …) keep their codes instead of becoming FORBIDDEN.
    allowExternalErrors: true,
  }) as IMiddlewareGenerator<unknown, Ctx, unknown>;
  const generated = rules.generate(schema) as Record<string, Record<string, unknown>>;
  const checked: IMiddlewareTypeMap = {};
  for (const [typeName, fields] of Object.entries(generated)) {
    const kept = Object.entries(fields).flatMap(([fieldName, middleware]) => {
      const fieldRule = ruleOf(typeName, fieldName);
      if (fieldRule === allow) return [];
      return [[fieldName, ROW_RULES.has(fieldRule) ? skippedForAllRows(middleware) : middleware]];
    });
    if (kept.length > 0) checked[typeName] = Object.fromEntries(kept) as IMiddlewareTypeMap[string];
  }
  return applyMiddleware(schema, checked, scoping);
}

/** The rules that only compare a row's customer with the principal's: true for every row when the principal is not scoped. */
const ROW_RULES = new Set<unknown>([ownCustomer, ownOrder]);

/**
 * A row rule's shield middleware, skipped for a principal that reads every row (rowScope `all`):
 * the rule would allow each field of each row, one async evaluation per field per object (900 for a
 * 100-order query). A customer, or a context without a principal (which rowScope refuses), still
 * goes through shield.
 */
function skippedForAllRows(middleware: unknown): unknown {
  if (typeof middleware !== 'function') return middleware;
  const shielded = middleware as (resolve: Resolve, parent: unknown, args: unknown, ctx: Ctx, info: GraphQLResolveInfo) => unknown;
  return (resolve: Resolve, parent: unknown, args: unknown, ctx: Ctx, info: GraphQLResolveInfo) =>
    ctx.principal !== undefined && rowScope(ctx.principal).all ? resolve(parent, args, ctx, info) : shielded(resolve, parent, args, ctx, info);
}
