import { postalAddress } from '../../shared/address';
import { dateArgument } from '../../shared/arguments';
import type { DomainContext } from '../../shared/domain';
import { roundCents } from '../../shared/money';
import { connectionResolvers, mapConnection, pageSize, toConnection, type PageArgs } from '../../shared/pagination';
import { cursorValues } from '../../shared/sql';
import * as data from './data';
import type { SalesLoaders } from './loaders';

type Ctx = DomainContext<SalesLoaders>;

type OrderArgs = PageArgs & {
  filter?: data.OrderFilter | null;
  orderBy?: { field: data.OrderSortField; direction?: 'ASC' | 'DESC' | null } | null;
};

const customer = (row: data.CustomerRow) => ({
  id: row.id,
  companyName: row.company_name,
  contactName: row.contact_name,
  contactTitle: row.contact_title,
  email: row.email,
  phone: row.phone,
  address: postalAddress(row),
});

const salesRep = (row: data.SalesRepRow) => ({
  id: row.id,
  firstName: row.first_name,
  lastName: row.last_name,
  title: row.title,
  hireDate: row.hire_date,
  birthDate: row.birth_date,
  homePhone: row.home_phone,
  reportsToId: row.reports_to,
});

const order = (row: data.OrderRow) => ({
  id: row.id,
  customerId: row.customer_id,
  salesRepId: row.sales_rep_id,
  orderDate: row.order_date,
  requiredDate: row.required_date,
  status: row.status,
});

const orderLine = (row: data.LineRow) => ({
  lineNumber: row.line_number,
  productId: row.product_id,
  quantity: row.quantity,
  unitPrice: row.unit_price,
  discount: row.discount,
  amount: roundCents(row.quantity * row.unit_price * (1 - row.discount)),
});

/** Validated, normalised order-list arguments; also the key of the per-argument loaders. The cursor is checked where it is used. */
function orderQuery(args: OrderArgs): data.OrderQuery {
  const first = pageSize(args.first);
  const { customerId, salesRepId, status, orderedFrom, orderedTo } = args.filter ?? {};
  return {
    first,
    after: args.after ?? null,
    filter: {
      customerId,
      salesRepId,
      status,
      orderedFrom: dateArgument(orderedFrom, 'filter.orderedFrom'),
      orderedTo: dateArgument(orderedTo, 'filter.orderedTo'),
    },
    field: args.orderBy?.field ?? 'ORDER_DATE',
    direction: args.orderBy?.direction === 'DESC' ? 'desc' : 'asc',
  };
}

function orderConnection(rows: data.OrderRow[], query: data.OrderQuery, totalCount: () => Promise<number>) {
  const { sortKey, idKey } = data.orderKeyset(query.field, query.direction);
  return mapConnection(toConnection(rows, query.first, (row) => cursorValues(row, sortKey, idKey)), order, totalCount);
}

async function customerById(id: string, ctx: Ctx) {
  const row = await ctx.loaders.customer.load(id);
  return row && customer(row);
}

async function salesRepById(id: string | number, ctx: Ctx) {
  const row = await ctx.loaders.salesRep.load(id);
  return row && salesRep(row);
}

async function orderById(id: string | number, ctx: Ctx) {
  const row = await ctx.loaders.order.load(id);
  return row && order(row);
}

async function linesOf(o: { id: number }, ctx: Ctx) {
  return (await ctx.loaders.linesByOrder.load(o.id)).map(orderLine);
}

export const resolvers = {
  OrderConnection: connectionResolvers,
  CustomerConnection: connectionResolvers,
  Query: {
    customer: (_: unknown, { id }: { id: string }, ctx: Ctx) => customerById(id, ctx),
    customers: async (_: unknown, args: PageArgs & { filter?: data.CustomerFilter | null }, ctx: Ctx) => {
      const page = await data.customerPage(ctx.db, pageSize(args.first), args.after, args.filter);
      return mapConnection(page, customer, () => data.countCustomers(ctx.db, args.filter));
    },
    order: (_: unknown, { id }: { id: string }, ctx: Ctx) => orderById(id, ctx),
    orders: async (_: unknown, args: OrderArgs, ctx: Ctx) => {
      const query = orderQuery(args);
      const page = await data.orderPage(ctx.db, query);
      return mapConnection(page, order, () => data.countOrders(ctx.db, query.filter));
    },
    salesRep: (_: unknown, { id }: { id: string }, ctx: Ctx) => salesRepById(id, ctx),
    salesReps: async (_: unknown, __: unknown, ctx: Ctx) => (await data.allSalesReps(ctx.db)).map(salesRep),
  },

  Customer: {
    __resolveReference: (ref: { id: string }, ctx: Ctx) => customerById(ref.id, ctx),
    orders: async (c: { id: string }, args: OrderArgs, ctx: Ctx) => {
      const query = orderQuery(args);
      const rows = await ctx.loaders.ordersByCustomer(query).load(c.id);
      return orderConnection(rows, query, async () => (await ctx.loaders.orderCountByCustomer(query.filter).load(c.id))?.n ?? 0);
    },
    salesSummary: async (c: { id: string }, _: unknown, ctx: Ctx) => {
      const row = await ctx.loaders.customerSummary.load(c.id);
      return {
        orderCount: row?.order_count ?? 0,
        revenue: roundCents(row?.revenue ?? 0),
        firstOrderDate: row?.first_order_date ?? null,
        lastOrderDate: row?.last_order_date ?? null,
      };
    },
  },

  Order: {
    __resolveReference: (ref: { id: string }, ctx: Ctx) => orderById(ref.id, ctx),
    customer: (o: { customerId: string }, _: unknown, ctx: Ctx) => customerById(o.customerId, ctx),
    salesRep: (o: { salesRepId: number }, _: unknown, ctx: Ctx) => salesRepById(o.salesRepId, ctx),
    lines: (o: { id: number }, _: unknown, ctx: Ctx) => linesOf(o, ctx),
    lineCount: async (o: { id: number }, _: unknown, ctx: Ctx) => (await linesOf(o, ctx)).length,
    total: async (o: { id: number }, _: unknown, ctx: Ctx) => roundCents((await linesOf(o, ctx)).reduce((sum, line) => sum + line.amount, 0)),
  },

  OrderLine: {
    product: (line: { productId: number }) => ({ id: line.productId }),
  },

  SalesRep: {
    reportsTo: (r: { reportsToId: number | null }, _: unknown, ctx: Ctx) => (r.reportsToId == null ? null : salesRepById(r.reportsToId, ctx)),
    orders: async (r: { id: number }, args: OrderArgs, ctx: Ctx) => {
      const query = orderQuery(args);
      const rows = await ctx.loaders.ordersBySalesRep(query).load(r.id);
      return orderConnection(rows, query, async () => (await ctx.loaders.orderCountBySalesRep(query.filter).load(r.id))?.n ?? 0);
    },
  },

  Product: {
    // Inventory owns products; sales only adds figures, so a reference needs no lookup.
    __resolveReference: (ref: { id: string }) => ({ id: ref.id }),
    salesStats: async (p: { id: string }, _: unknown, ctx: Ctx) => {
      const row = await ctx.loaders.productStats.load(p.id);
      return { unitsSold: row?.units_sold ?? 0, revenue: roundCents(row?.revenue ?? 0), orderCount: row?.order_count ?? 0 };
    },
  },
};
