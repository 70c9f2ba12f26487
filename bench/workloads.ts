/** One measured load: a GraphQL query sent over and over to one target. */
export interface Workload {
  /** Row label, e.g. `heavy` or `heavy:sales-part`. */
  name: string;
  /** `gateway`, or the name of the subgraph queried directly. */
  target: string;
  /** What the row measures, printed under the table. */
  measures: string;
  query: string;
  /** A valid response lists at least this many orders at `data.orders.nodes`. */
  minOrders: number;
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

/** How rows and comparisons name a workload: `name@target`. */
export function workloadId(w: Pick<Workload, 'name' | 'target'>): string {
  return `${w.name}@${w.target}`;
}
