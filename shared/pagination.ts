import { isIsoDate, isIsoTimestamp, isSqlInteger } from './arguments';
import { badUserInput } from './errors';

/** The largest page any list field returns; a larger `first` is refused, not silently cut. */
export const MAX_PAGE_SIZE = 100;
export const DEFAULT_PAGE_SIZE = 20;

export interface PageArgs {
  first?: number | null;
  after?: string | null;
}

export interface Connection<T> {
  edges: Edge<T>[];
  nodes: T[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
  /**
   * A count statement runs only if a query asks for it: resolvers give it as a function, as an
   * argument of `toConnection` or `mapConnection`. (An arrow function written as an object
   * property is named at run time by tsx, a `defineProperty` per connection: 3% of
   * customer-experience's CPU on `heavy`, with a review page per product.)
   */
  totalCount?: number | (() => number | Promise<number>);
}

/**
 * The resolvers of a connection type: `totalCount` called when asked. Every connection type
 * lists them, because a function-valued property is only called by graphql-js's default
 * resolver; compiled queries (validated-queries.ts) read properties.
 */
export const connectionResolvers = {
  totalCount: ({ totalCount }: Pick<Connection<unknown>, 'totalCount'>) => (typeof totalCount === 'function' ? totalCount() : totalCount),
};

/** Validates `first` against the maximum page size and returns the page size to fetch. */
export function pageSize(first: number | null | undefined, max = MAX_PAGE_SIZE): number {
  if (first === null || first === undefined) return Math.min(DEFAULT_PAGE_SIZE, max);
  if (!Number.isInteger(first) || first < 0 || first > max) {
    throw badUserInput(`first must be an integer between 0 and ${max}, got ${first}`, 'first');
  }
  return first;
}

/** What a keyset value must be, by its column: a cursor value that does not fit is refused. */
export type CursorValueType = 'integer' | 'number' | 'string' | 'timestamp' | 'date';

const FITS: Record<CursorValueType, (value: unknown) => boolean> = {
  integer: isSqlInteger,
  number: (value) => typeof value === 'number' && Number.isFinite(value),
  // PostgreSQL text cannot hold a NUL character: the statement would fail.
  string: (value) => typeof value === 'string' && !value.includes('\u0000'),
  timestamp: isIsoTimestamp,
  date: isIsoDate,
};

/**
 * Cursors are opaque base64url JSON arrays of the keyset values (sort value, id), so the next
 * page is a `WHERE (sort, id) > (…)` seek rather than an OFFSET scan.
 */
export function encodeCursor(values: readonly (string | number)[]): string {
  return Buffer.from(JSON.stringify(values)).toString('base64url');
}

/**
 * The keyset values of a cursor, one of each type given. Cursors come back from clients, so they
 * are untrusted: one this field cannot have issued is refused with BAD_USER_INPUT, before any SQL.
 */
export function decodeCursor(cursor: string, types: readonly CursorValueType[]): (string | number)[] {
  let values: unknown;
  try {
    values = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw badUserInput('after is not a cursor returned by this field', 'after');
  }
  const valid = Array.isArray(values) && values.length === types.length && values.every((value, i) => FITS[types[i]](value));
  if (!valid) throw badUserInput('after is not a cursor returned by this field', 'after');
  return values as (string | number)[];
}

/**
 * An edge whose cursor is encoded when something reads it. Most queries ask for `nodes` only, and
 * encoding every row's cursor up front was 8% of customer-experience's CPU on the benchmark's
 * `heavy` query (two reviews of each of 86 products). A prototype getter, so graphql-js and
 * compiled queries read it like a property, and spreading a connection copies `edges` as is.
 */
export class Edge<T> {
  private encoded: string | undefined = undefined;

  constructor(
    readonly node: T,
    /** What `keysetOf` reads: the node as first built, kept when `mapConnection` maps the node. */
    private readonly keyed: unknown,
    private readonly keysetOf: (keyed: never) => (string | number)[],
  ) {}

  get cursor(): string {
    return (this.encoded ??= encodeCursor(this.keysetOf(this.keyed as never)));
  }

  /** The same edge (the same cursor) for a mapped node. */
  withNode<U>(node: U): Edge<U> {
    return new Edge(node, this.keyed, this.keysetOf);
  }
}

/** `endCursor` is the last edge's cursor, encoded only when read. */
class PageInfo {
  constructor(
    readonly hasNextPage: boolean,
    private readonly lastEdge: Edge<unknown> | undefined,
  ) {}

  get endCursor(): string | null {
    return this.lastEdge?.cursor ?? null;
  }
}

/**
 * Builds a connection from `limit + 1` fetched rows: the extra row only says whether a next page
 * exists. `cursorOf` returns the keyset values of a row; it runs only for cursors that are read.
 */
export function toConnection<T>(rows: T[], limit: number, cursorOf: (row: T) => (string | number)[], totalCount?: Connection<T>['totalCount']): Connection<T> {
  const nodes = rows.length > limit ? rows.slice(0, limit) : rows;
  const edges = nodes.map((node) => new Edge(node, node, cursorOf));
  return { edges, nodes, pageInfo: new PageInfo(rows.length > limit, edges.at(-1)), totalCount };
}

/** The same page with every node mapped (database row → GraphQL object); cursors are kept. */
export function mapConnection<R, T>(page: Connection<R>, map: (row: R) => T, totalCount?: Connection<T>['totalCount']): Connection<T> {
  const edges = page.edges.map((edge) => edge.withNode(map(edge.node)));
  return { edges, nodes: edges.map((edge) => edge.node), pageInfo: page.pageInfo, totalCount };
}
