/** The ungoverned gateway (no request pipeline) and the governed one (the full pipeline of gateway/pipeline.ts, audit writer included). */
export const GATEWAY = 'gateway';
export const GOVERNED_GATEWAY = 'governed-gateway';
/** The governed gateway without an audit writer: the baseline of the audit on ÷ off comparison. */
export const GOVERNED_NO_AUDIT = 'governed-no-audit';

/** One measured load: a GraphQL query sent over and over to one target. */
export interface Workload {
  /** Row label, e.g. `heavy` or `heavy:sales-part`. */
  name: string;
  /** `gateway`, `governed-gateway`, or the name of the subgraph queried directly. */
  target: string;
  /** What the row measures, printed under the table. */
  measures: string;
  query: string;
  /** A valid response lists at least this many orders at `data.orders.nodes` (a customer principal: at least one, its own). */
  minOrders: number;
  /**
   * The governed gateway only: the callers, by principal name, whose tokens the requests carry in
   * turn (round-robin, one per request).
   */
  principals?: string[];
}

/**
 * A caller of the governed gateway: the claims of its bearer token (signed per run, see mesh.ts)
 * and the purpose it declares (`x-purpose`).
 */
export interface BenchPrincipal {
  name: string;
  claims: { sub: string; roles: string[]; purposes?: string[]; customer_id?: string };
  purpose?: string;
}

/**
 * Two callers per role (policies/policy.yaml): the gateway's decision cache is keyed by roles,
 * scopes and purpose, so subjects of one role share entries as in real traffic, and the customers
 * read their own rows only (the subgraphs scope them by the signed principal).
 */
export const principals: BenchPrincipal[] = [
  ...[1, 2].flatMap((i) => [
    { name: `analyst-${i}`, claims: { sub: `bench-analyst-${i}`, roles: ['analyst'] } },
    { name: `support-${i}`, claims: { sub: `bench-support-${i}`, roles: ['support'], purposes: ['customer-support'] }, purpose: 'customer-support' },
    { name: `admin-${i}`, claims: { sub: `bench-admin-${i}`, roles: ['admin'] } },
    { name: `customer-${i}`, claims: { sub: `bench-customer-${i}`, roles: ['customer'], customer_id: `C00000${i}` } },
  ]),
];

const STAFF = principals.filter((p) => !p.claims.roles.includes('customer')).map((p) => p.name);
const EVERYONE = principals.map((p) => p.name);

/** Whether a principal sees only its own rows (so fewer orders than a workload's `minOrders`). */
export function ownRowsOnly(principal: BenchPrincipal): boolean {
  return principal.claims.customer_id !== undefined;
}

/** A ratio the report prints: a gateway row against a direct row of the same run. */
export interface Comparison {
  label: string;
  gateway: string;
  direct: string;
}

const SMALL = `query SmallOrders {
  orders(first: 5) {
    nodes {
      id orderDate total
      customer { companyName }
      lines { quantity product { name unitPrice } }
    }
  }
}`;

/** The sales subgraph's share of SMALL: what a client could ask sales for without the gateway. */
const SMALL_SALES_PART = `query SmallOrdersSalesPart {
  orders(first: 5) {
    nodes {
      id orderDate total
      customer { companyName }
      lines { quantity product { id } }
    }
  }
}`;

const HEAVY = `query HeavyOrders {
  orders(first: 100) {
    nodes {
      id orderDate status total
      customer { id companyName contactName }
      lines {
        lineNumber quantity unitPrice amount
        product {
          name sku
          availability { available status }
          stockLevels { onHand reserved warehouse { code } }
          reviews(first: 2) { nodes { rating title } }
        }
      }
      shipments { status shippedAt carrier { name } trackingEvents { status occurredAt } }
    }
  }
}`;

const HEAVY_SALES_PART = `query HeavyOrdersSalesPart {
  orders(first: 100) {
    nodes {
      id orderDate status total
      customer { id companyName contactName }
      lines { lineNumber quantity unitPrice amount product { id } }
    }
  }
}`;

export const workloads: Workload[] = [
  {
    name: 'small',
    target: 'gateway',
    measures: '5 orders with customer and line products, federated (sales + inventory)',
    query: SMALL,
    minOrders: 5,
  },
  {
    name: 'small',
    target: GOVERNED_GATEWAY,
    measures: `\`small\` through the governed gateway (authenticate, introspection, authorize, mask), tokens round-robin: ${EVERYONE.join(', ')}`,
    query: SMALL,
    minOrders: 5,
    principals: EVERYONE,
  },
  {
    name: 'small',
    target: GOVERNED_NO_AUDIT,
    measures: `\`small\` through the governed gateway without its audit writer (baseline of audit on ÷ off), same callers`,
    query: SMALL,
    minOrders: 5,
    principals: EVERYONE,
  },
  {
    name: 'small:sales-part',
    target: 'gateway',
    measures: "the sales part of `small` through the gateway: one subgraph fetch, the gateway's own cost",
    query: SMALL_SALES_PART,
    minOrders: 5,
  },
  {
    name: 'small:sales-part',
    target: 'sales',
    measures: 'the sales part of `small` sent to the sales subgraph directly',
    query: SMALL_SALES_PART,
    minOrders: 5,
  },
  {
    name: 'heavy',
    target: 'gateway',
    measures: '100 orders with customer, line products (stock, availability, reviews) and shipments (carrier, tracking), all four subgraphs',
    query: HEAVY,
    minOrders: 100,
  },
  {
    name: 'heavy',
    target: GOVERNED_GATEWAY,
    // A customer may not read stock (INTERNAL): denied non-null fields would null the whole
    // response, so the customers are left out here rather than measured returning nothing.
    measures: `\`heavy\` through the governed gateway, tokens round-robin: ${STAFF.join(', ')} (no customer: stock is INTERNAL)`,
    query: HEAVY,
    minOrders: 100,
    principals: STAFF,
  },
  {
    name: 'heavy',
    target: GOVERNED_NO_AUDIT,
    measures: `\`heavy\` through the governed gateway without its audit writer (baseline of audit on ÷ off), same callers`,
    query: HEAVY,
    minOrders: 100,
    principals: STAFF,
  },
  {
    name: 'heavy:sales-part',
    target: 'gateway',
    measures: "the sales part of `heavy` through the gateway: one subgraph fetch, the gateway's own cost",
    query: HEAVY_SALES_PART,
    minOrders: 100,
  },
  {
    name: 'heavy:sales-part',
    target: 'sales',
    measures: 'the sales part of `heavy` sent to the sales subgraph directly',
    query: HEAVY_SALES_PART,
    minOrders: 100,
  },
];

export const comparisons: Comparison[] = [
  { label: 'small federated via gateway ÷ its sales part direct', gateway: 'small@gateway', direct: 'small:sales-part@sales' },
  { label: 'small sales part via gateway ÷ direct (same query)', gateway: 'small:sales-part@gateway', direct: 'small:sales-part@sales' },
  { label: 'heavy federated via gateway ÷ its sales part direct', gateway: 'heavy@gateway', direct: 'heavy:sales-part@sales' },
  { label: 'heavy sales part via gateway ÷ direct (same query)', gateway: 'heavy:sales-part@gateway', direct: 'heavy:sales-part@sales' },
];

/** Governance on ÷ off: the same query through the governed and the ungoverned gateway. */
export const governanceComparisons: { workload: string; governed: string; ungoverned: string }[] = ['small', 'heavy'].map((name) => ({
  workload: name,
  governed: `${name}@${GOVERNED_GATEWAY}`,
  ungoverned: `${name}@${GATEWAY}`,
}));

/** Audit on ÷ off: the governed gateway (audit writer on) against the same pipeline without it. */
export const auditComparisons: { workload: string; audited: string; unaudited: string }[] = ['small', 'heavy'].map((name) => ({
  workload: name,
  audited: `${name}@${GOVERNED_GATEWAY}`,
  unaudited: `${name}@${GOVERNED_NO_AUDIT}`,
}));

/** How rows and comparisons name a workload: `name@target`. */
export function workloadId(w: Pick<Workload, 'name' | 'target'>): string {
  return `${w.name}@${w.target}`;
}
