import { buildSchema } from 'graphql';
import type { Policy } from '../../policies/types';
import { MeshgateError } from '../../shared/errors';
import type { Logger } from '../../shared/logger';
import { fieldTotals, type FieldTotals } from '../audit/queries';
import type { AuditStore } from '../audit/store';
import type { AuditSink } from '../audit/types';
import { governedEndpoint, type EndpointFactory, type EndpointHost } from '../governed-endpoint';
import type { LoadedSupergraph } from '../plugins/types';
import { subgraphsOfSupergraph, type SupergraphSubgraph } from '../supergraph';
import { assessFreshness, probeNewestData, type Freshness } from './freshness';
import { buildCatalogModel, typesOfDomain, type CatalogField, type CatalogModel, type CatalogType, type DataProductInfo } from './model';

/** The catalog API's schema: the data products of the supergraph the gateway serves now. */
export const CATALOG_API_SDL = /* GraphQL */ `
schema { query: CatalogQuery }

"""The data product catalog: open to every authenticated caller (it describes data, it returns none)."""
type CatalogQuery {
  """Every data product, by name; \`search\` keeps those whose descriptor, types or fields mention the text."""
  dataProducts(search: String): [DataProduct!]!
  dataProduct(name: String!): DataProduct
  """Fields across all products matching every filter given (text in name, coordinate, type or description)."""
  fields(search: String, level: String, domain: String, first: Int = 200): [CatalogField!]!
  """How entities link across domains."""
  lineage: [LineageLink!]!
}

type DataProduct {
  name: String!
  title: String
  description: String!
  version: String!
  owner: Owner!
  serviceLevels: ServiceLevels!
  tags: [String!]!
  """Whether the freshness objective holds now, from the domain's own report."""
  freshness: Freshness!
  """The types this product resolves fields of, with only those fields."""
  types: [CatalogType!]!
  fieldCount: Int!
  """Links from or to this product."""
  lineage: [LineageLink!]!
  """Field uses recorded by the audit trail in the last \`days\` days (null without an audit store)."""
  usage(days: Int = 30): Int
}

type Owner { team: String!  contact: String! }
type ServiceLevels { freshness: String  availability: String }

type Freshness {
  status: FreshnessStatus!
  newestDataAt: String
  ageSeconds: Int
  objective: String
  reason: String
}
enum FreshnessStatus { FRESH STALE UNKNOWN }

type CatalogType {
  name: String!
  kind: String!
  description: String
  keys: [String!]!
  """The domain where the entity lives (resolves most of its fields)."""
  home: String!
  domains: [String!]!
  fields: [CatalogField!]!
}

type CatalogField {
  coordinate: String!
  typeName: String!
  name: String!
  type: String!
  description: String
  level: String
  category: String
  resolvedBy: [String!]!
  deprecationReason: String
  """Audit-trail usage in the last \`days\` days (null without an audit store)."""
  usage(days: Int = 30): FieldUsage
}

type FieldUsage { events: Int!  values: Int!  clients: [String!]!  lastUsed: String }

type LineageLink {
  kind: String!
  coordinate: String!
  fromDomain: String!
  toDomain: String!
  entity: String!
}
`;

export interface CatalogApiOptions {
  /**
   * The descriptors of the composed domains, by subgraph name; a function is asked again whenever
   * the gateway loads a new supergraph (hot reload may add a domain or change a descriptor).
   */
  products: DataProductInfo[] | (() => DataProductInfo[]);
  /** The audit store, for usage figures; absent = usage is null. */
  store?: () => Promise<AuditStore>;
  sink: AuditSink;
  policy: Policy;
  /** How long a freshness probe or usage read is reused (default 5 s): a page asks for every product at once. */
  cacheMs?: number;
  logger?: Logger;
}

interface CatalogContext {
  model(): CatalogModel;
  product(name: string): DataProductInfo | undefined;
  products(): DataProductInfo[];
  freshness(name: string): Promise<Freshness>;
  usage(days: number): Promise<Map<string, FieldTotals> | null>;
}

const DAY_MS = 86_400_000;

function positiveDays(days: number): number {
  if (!Number.isInteger(days) || days < 1 || days > 3660) throw new MeshgateError('BAD_USER_INPUT', `days must be an integer from 1 to 3660, got ${days}`);
  return days;
}

const matches = (needle: string, ...haystack: (string | null | undefined)[]) => haystack.some((h) => h?.toLowerCase().includes(needle));
const fieldMatches = (f: CatalogField, needle: string) =>
  matches(needle, f.coordinate, f.type, f.description, f.classification?.level, f.classification?.category);

function productView(info: DataProductInfo, ctx: CatalogContext) {
  const model = ctx.model();
  const types = typesOfDomain(model, info.name);
  return {
    ...info,
    title: info.title ?? null,
    types: types.map((t) => typeView(t, ctx)),
    fieldCount: types.reduce((n, t) => n + t.fields.length, 0),
    lineage: model.lineage.filter((l) => l.fromDomain === info.name || l.toDomain === info.name),
    freshness: () => ctx.freshness(info.name),
    async usage({ days }: { days: number }) {
      const usage = await ctx.usage(positiveDays(days));
      if (!usage) return null;
      return types.reduce((n, t) => n + t.fields.reduce((m, f) => m + (usage.get(f.coordinate)?.events ?? 0), 0), 0);
    },
  };
}

function fieldView(f: CatalogField, ctx: CatalogContext) {
  return {
    ...f,
    level: f.classification?.level ?? null,
    category: f.classification?.category ?? null,
    async usage({ days }: { days: number }) {
      const usage = await ctx.usage(positiveDays(days));
      if (!usage) return null;
      const u = usage.get(f.coordinate);
      return u ? { events: u.events, values: u.values, clients: [...u.clients].sort(), lastUsed: u.lastUsed } : { events: 0, values: 0, clients: [], lastUsed: null };
    },
  };
}

const typeView = (t: CatalogType, ctx: CatalogContext) => ({ ...t, fields: t.fields.map((f) => fieldView(f, ctx)) });

const catalogRoot = {
  dataProducts({ search }: { search?: string | null }, ctx: CatalogContext) {
    const needle = search?.trim().toLowerCase();
    return ctx
      .products()
      .map((p) => productView(p, ctx))
      .filter((p) => {
        if (!needle) return true;
        if (matches(needle, p.name, p.title, p.description, p.owner.team, p.owner.contact, ...p.tags)) return true;
        return p.types.some((t) => matches(needle, t.name, t.description) || t.fields.some((f) => fieldMatches(f, needle)));
      });
  },
  dataProduct({ name }: { name: string }, ctx: CatalogContext) {
    const info = ctx.product(name);
    if (!info) return null;
    return productView(info, ctx);
  },
  fields(args: { search?: string | null; level?: string | null; domain?: string | null; first: number }, ctx: CatalogContext) {
    if (!Number.isInteger(args.first) || args.first < 1 || args.first > 1000) throw new MeshgateError('BAD_USER_INPUT', `first must be 1..1000, got ${args.first}`);
    const needle = args.search?.trim().toLowerCase();
    const out: CatalogField[] = [];
    for (const t of ctx.model().types) {
      for (const f of t.fields) {
        if (needle && !fieldMatches(f, needle)) continue;
        if (args.level && f.classification?.level !== args.level) continue;
        if (args.domain && !f.resolvedBy.includes(args.domain)) continue;
        out.push(f);
      }
    }
    return out.slice(0, args.first).map((f) => fieldView(f, ctx));
  },
  lineage(_args: unknown, ctx: CatalogContext) {
    return ctx.model().lineage;
  },
};

let schema: ReturnType<typeof buildSchema> | undefined;
const catalogSchema = () => (schema ??= buildSchema(CATALOG_API_SDL));

/**
 * The catalog API, `POST /catalog/graphql`: each data product's descriptor, its types and fields
 * with description, classification and the domain resolving them, the links between domains,
 * usage from the audit trail and live freshness. Governed like every gateway endpoint (see
 * governed-endpoint.ts): any authenticated caller, every request audited.
 */
export function catalogApi(options: CatalogApiOptions): EndpointFactory {
  const readProducts = typeof options.products === 'function' ? options.products : () => options.products as DataProductInfo[];
  let built: { of: LoadedSupergraph; model: CatalogModel; subgraphs: SupergraphSubgraph[]; products: Map<string, DataProductInfo> } | undefined;
  const loadedModel = (host: EndpointHost) => {
    const loaded = host.supergraph();
    if (!loaded) throw new MeshgateError('SUBGRAPH_UNAVAILABLE', 'the gateway has not loaded a supergraph yet');
    if (built?.of !== loaded) {
      // Probe where the gateway routes (SUBGRAPH_<NAME>_URL overrides), not where the supergraph says.
      const routed = new Map(host.subgraphs().map((s) => [s.name, s.url]));
      const subgraphs = subgraphsOfSupergraph(loaded.sdl).map((s) => ({ ...s, url: routed.get(s.name) ?? s.url }));
      let products = built?.products ?? new Map<string, DataProductInfo>();
      try {
        products = new Map(readProducts().map((p) => [p.name, p]));
      } catch (err) {
        // The supergraph composed, so its descriptors were valid a moment ago: keep the last ones read.
        options.logger?.error({ err }, 'catalog: cannot read the data-product descriptors; showing the last ones read');
      }
      built = { of: loaded, model: buildCatalogModel(loaded), subgraphs, products };
    }
    return built;
  };
  // A page of the catalog asks freshness of every product at once: one probe per domain per few seconds.
  const cacheMs = options.cacheMs ?? 5_000;
  const probes = new Map<string, { at: number; result: Promise<Freshness> }>();
  const usageCache = new Map<number, { at: number; result: ReturnType<CatalogContext['usage']> }>();

  return governedEndpoint<CatalogContext>({
    name: 'the catalog API',
    schema: catalogSchema(),
    rootValue: catalogRoot,
    contextValue: (host) => ({
      model: () => loadedModel(host).model,
      product: (name) => (loadedModel(host).model.domains.includes(name) ? loadedModel(host).products.get(name) : undefined),
      products: () => {
        const { subgraphs, products } = loadedModel(host);
        return subgraphs.flatMap((s) => products.get(s.name) ?? []).sort((a, b) => a.name.localeCompare(b.name));
      },
      freshness(name) {
        const cached = probes.get(name);
        if (cached && Date.now() - cached.at < cacheMs) return cached.result;
        const subgraph = loadedModel(host).subgraphs.find((s) => s.name === name);
        const result = subgraph
          ? probeNewestData(subgraph).then((newest) => assessFreshness(newest, loadedModel(host).products.get(name)?.serviceLevels.freshness))
          : Promise.resolve(assessFreshness({ at: null, reason: 'not in the supergraph' }, undefined));
        probes.set(name, { at: Date.now(), result });
        return result;
      },
      usage(days) {
        if (!options.store) return Promise.resolve(null);
        const cached = usageCache.get(days);
        if (cached && Date.now() - cached.at < cacheMs) return cached.result;
        const result = (async () => fieldTotals(await options.store!(), new Date(Date.now() - days * DAY_MS)))();
        // A failed read is not cached: the next request tries again.
        result.catch(() => usageCache.delete(days));
        usageCache.set(days, { at: Date.now(), result });
        return result;
      },
    }),
    rootField: { level: 'PUBLIC', requirements: { authenticated: true, scopes: [], policies: [] } },
    forbidden: 'the catalog is open to authenticated callers only',
    policy: options.policy,
    sink: options.sink,
    logger: options.logger,
  });
}
