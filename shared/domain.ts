import fs from 'node:fs';
import { parse, type DocumentNode, type GraphQLSchema } from 'graphql';
import type { NorthwindData } from './datasets/northwind';
import type { Database, Migration } from './db';
import type { DemoWorld } from './demo-data';
import type { Principal } from './principal';
import { DATA_LOADS_MIGRATION } from './freshness';

/** What every resolver of a domain receives: its database, this request's loaders and who asks. */
export interface DomainContext<L> {
  db: Database;
  loaders: L;
  /**
   * Who the gateway says is asking, taken from the verified request signature (shared/signing.ts).
   * `ANONYMOUS` when the subgraph runs without a secret (development only): an unsigned
   * principal header is never trusted.
   */
  principal: Principal;
}

export type SeedProgress = (table: string, done: number, total: number) => void;

/**
 * A domain's data product, as the shared subgraph runtime needs it. Each `subgraphs/<name>/`
 * exports one of these from its `index.ts`; nothing outside the domain touches its tables.
 */
export interface Domain<L = any> {
  name: string;
  /** Port of the domain's service when none is given (`PORT` overrides). */
  defaultPort: number;
  /** Absolute path of the domain's `schema.graphql`. */
  schemaFile: string;
  /** Resolver map in graphql-tools form, `__resolveReference` included. */
  resolvers: Record<string, any>;
  migrations: Record<string, Migration>;
  createLoaders(db: Database): L;
  /** Writes the demo data of this domain; called only on an empty database. */
  seed(db: Database, world: DemoWorld, onProgress?: SeedProgress): Promise<void>;
  /** Whether the domain holds any data yet (decides whether a start seeds). */
  isEmpty(db: Database): Promise<boolean>;
  /** Loaders of outside data sets into the domain's migrated, empty tables, each in one transaction. */
  importers?: { northwind?: (db: Database, data: NorthwindData) => Promise<void> };
  /**
   * The domain's own access rules (row-level rules where the data is), applied by the subgraph
   * runtime to the built subgraph schema, e.g. graphql-shield through graphql-middleware. Rules
   * read `context.principal`. Must keep `_entities` and `_service` resolvable: the gateway needs
   * them, and request signing keeps everyone else out.
   */
  applyPolicy?(schema: GraphQLSchema): GraphQLSchema;
}

/** A domain's migrations plus the runtime's own table (data loads, for freshness): what its database holds. */
export function migrationsOf(domain: Pick<Domain, 'migrations'>): Record<string, Migration> {
  return { ...domain.migrations, ...DATA_LOADS_MIGRATION };
}

const typeDefsCache = new Map<string, DocumentNode>();

export function typeDefsOf(domain: Pick<Domain, 'schemaFile'>): DocumentNode {
  let doc = typeDefsCache.get(domain.schemaFile);
  if (!doc) typeDefsCache.set(domain.schemaFile, (doc = parse(fs.readFileSync(domain.schemaFile, 'utf8'))));
  return doc;
}
