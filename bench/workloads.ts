/**
 * The gateways the benchmark compares, on the same supergraph and the same subgraphs: plain
 * `@apollo/gateway` + `@apollo/server` with default settings, Meshgate without a request
 * pipeline, Meshgate with the full pipeline but no audit writer (the baseline of audit on ÷ off),
 * and Meshgate with the full pipeline and an audit writer.
 */
export const BARE = 'bare';
export const MESHGATE = 'meshgate';
export const UNAUDITED = 'unaudited';
export const GOVERNED = 'governed';
export const GATEWAYS = [BARE, MESHGATE, UNAUDITED, GOVERNED] as const;
export type GatewayName = (typeof GATEWAYS)[number];

export const GATEWAY_LABELS: Record<GatewayName, string> = {
  [BARE]: '@apollo/gateway + @apollo/server, defaults',
  [MESHGATE]: 'Meshgate, governance off',
  [UNAUDITED]: 'Meshgate, governed without the audit step (authenticate, authorize, mask)',
  [GOVERNED]: 'Meshgate, governed (authenticate, authorize, mask, audit to SQLite)',
};

/** Gateways that read the caller's token: their answers depend on who asks. */
export const readsTokens = (gateway: GatewayName) => gateway === GOVERNED || gateway === UNAUDITED;

/**
 * A caller: the claims of its bearer token (signed per run, see tokens.ts) and the purpose it
 * declares (`x-purpose`). Every gateway gets the same headers; only the governed one reads them.
 */
export interface BenchPrincipal {
  name: string;
  claims: { sub: string; roles: string[]; purposes?: string[]; customer_id?: string };
  purpose?: string;
}

/** Two callers per role: the decision cache is keyed by roles, scopes and purpose, so callers of one role share entries as in real traffic. */
export const principals: BenchPrincipal[] = [1, 2].flatMap((i) => [
  { name: `analyst-${i}`, claims: { sub: `bench-analyst-${i}`, roles: ['analyst'] } },
  { name: `support-${i}`, claims: { sub: `bench-support-${i}`, roles: ['support'], purposes: ['customer-support'] }, purpose: 'customer-support' },
  { name: `admin-${i}`, claims: { sub: `bench-admin-${i}`, roles: ['admin'] } },
  { name: `customer-${i}`, claims: { sub: `bench-customer-${i}`, roles: ['customer'], customer_id: `C00000${i}` } },
]);

/** Whether a principal may see only its own rows (so fewer than an operation's `minItems`). */
export function ownRowsOnly(name: string): boolean {
  return principals.find((p) => p.name === name)?.claims.customer_id !== undefined;
}

/** One GraphQL operation; a valid response has at least `minItems` entries at `data[list].nodes`. */
export interface Operation {
  name: string;
  query: string;
  list: string;
  minItems: number;
}

/** Requests of one step carry its callers' tokens in turn, one caller per request. */
export interface Step {
  operation: Operation;
  principals: string[];
}

/** What one row loads: its steps are autocannon's `requests[]`, which each connection sends in turn. */
export interface Workload {
  name: string;
  description: string;
  steps: Step[];
}

const SMALL: Operation = {
  name: 'SmallOrders',
  list: 'orders',
  minItems: 5,
  query: `query SmallOrders {
  orders(first: 5) {
    nodes {
      id orderDate total
      customer { companyName }
      lines { quantity product { name unitPrice } }
    }
  }
}`,
};

const HEAVY: Operation = {
  name: 'HeavyOrders',
  list: 'orders',
  minItems: 100,
  query: `query HeavyOrders {
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
}`,
};

const CATALOG: Operation = {
  name: 'ProductCatalog',
  list: 'products',
  minItems: 10,
  query: `query ProductCatalog {
  products(first: 20) {
    nodes { id sku name unitPrice averageRating reviewCount reviews(first: 3) { nodes { rating title } } }
  }
}`,
};

const CUSTOMERS: Operation = {
  name: 'CustomerContacts',
  list: 'customers',
  minItems: 10,
  query: `query CustomerContacts {
  customers(first: 20) { nodes { id companyName contactName email } }
}`,
};

const SHIPMENTS: Operation = {
  name: 'RecentShipments',
  list: 'shipments',
  minItems: 10,
  query: `query RecentShipments {
  shipments(first: 20) {
    nodes { id status shippedAt deliveryDays carrier { name } order { id orderDate total customer { companyName } } }
  }
}`,
};

const named = (role: string) => principals.filter((p) => p.claims.roles.includes(role)).map((p) => p.name);
const EVERYONE = principals.map((p) => p.name);
// A customer may not read stock levels (INTERNAL): a denied non-null field would null the whole response.
const STAFF = EVERYONE.filter((name) => !ownRowsOnly(name));

export const workloads: Workload[] = [
  {
    name: 'small',
    description: `5 orders with customer and line products (sales + inventory); callers in turn: ${EVERYONE.join(', ')}`,
    steps: [{ operation: SMALL, principals: EVERYONE }],
  },
  {
    name: 'heavy',
    description: `100 orders with customer, products (availability, stock, reviews), shipments (carrier, tracking): all four subgraphs; callers: ${STAFF.join(', ')} (no customer: stock is INTERNAL)`,
    steps: [{ operation: HEAVY, principals: STAFF }],
  },
  {
    name: 'mixed',
    description: 'seven requests in turn per connection, five operations, four roles: small as customers, catalog as analyst/customer, heavy as admins/analyst, customer contacts as support, shipments as analyst/admin, catalog as customer/support, small as staff',
    steps: [
      { operation: SMALL, principals: named('customer') },
      { operation: CATALOG, principals: ['analyst-1', 'customer-1'] },
      { operation: HEAVY, principals: [...named('admin'), 'analyst-1'] },
      { operation: CUSTOMERS, principals: named('support') },
      { operation: SHIPMENTS, principals: ['analyst-2', 'admin-2'] },
      { operation: CATALOG, principals: ['customer-2', 'support-1'] },
      { operation: SMALL, principals: ['analyst-1', 'support-2', 'admin-1'] },
    ],
  },
];

/** The workload the soak run loads the governed gateway with: the most varied one. */
export const SOAK_WORKLOAD = 'mixed';
