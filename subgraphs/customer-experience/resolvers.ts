import { integerIdArgument, periodArgument } from '../../shared/arguments';
import type { DomainContext } from '../../shared/domain';
import { badUserInput } from '../../shared/errors';
import { connectionResolvers, mapConnection, pageSize, toConnection, type PageArgs } from '../../shared/pagination';
import * as data from './data';
import type { CustomerExperienceLoaders } from './loaders';

type Ctx = DomainContext<CustomerExperienceLoaders>;
type Key = string | number;

const CHANNELS = ['EMAIL', 'PHONE', 'CHAT'];
const SCORES = [1, 2, 3, 4, 5];

const ref = (id: Key | null) => (id == null ? null : { id });

const review = (row: data.ReviewRow) => ({
  id: row.id,
  product: { id: row.product_id },
  customer: { id: row.customer_id },
  order: ref(row.order_id),
  rating: row.rating,
  title: row.title,
  body: row.body,
  createdAt: row.created_at,
});

const ticket = (row: data.TicketRow) => ({
  id: row.id,
  customer: { id: row.customer_id },
  order: ref(row.order_id),
  subject: row.subject,
  channel: row.channel,
  priority: row.priority,
  status: row.status,
  openedAt: row.opened_at,
  closedAt: row.closed_at,
  satisfactionScore: row.satisfaction_score,
});

const reviewCursor = (r: ReturnType<typeof review>) => [r.createdAt, r.id];
const ticketCursor = (t: ReturnType<typeof ticket>) => [t.openedAt, t.id];

/** Number of scored rows and their mean score (null without rows). */
function summary(rows: data.ScoreCount[]) {
  const responses = rows.reduce((n, r) => n + r.n, 0);
  return { responses, averageScore: responses ? rows.reduce((sum, r) => sum + r.score * r.n, 0) / responses : null };
}

const countsByScore = (rows: data.ScoreCount[]) =>
  SCORES.map((score) => ({ score, count: rows.reduce((n, r) => (r.score === score ? n + r.n : n), 0) }));

// ---------------------------------------------------------------- argument validation

function stars(value: number | null | undefined, argumentName: string): number | undefined {
  if (value == null) return undefined;
  if (!Number.isInteger(value) || value < 1 || value > 5) throw badUserInput(`${argumentName} must be between 1 and 5, got ${value}`, argumentName);
  return value;
}

interface ReviewFilterArgs {
  productId?: string | null;
  customerId?: string | null;
  minRating?: number | null;
  maxRating?: number | null;
  createdFrom?: string | null;
  createdTo?: string | null;
}

interface TicketFilterArgs {
  customerId?: string | null;
  status?: string[] | null;
  priority?: string | null;
  channel?: string | null;
  openedFrom?: string | null;
  openedTo?: string | null;
}

function reviewFilter(f: ReviewFilterArgs | null | undefined): data.ReviewFilter {
  if (!f) return {};
  const created = periodArgument(f.createdFrom, f.createdTo, ['createdFrom', 'createdTo']);
  const minRating = stars(f.minRating, 'minRating');
  const maxRating = stars(f.maxRating, 'maxRating');
  if (minRating && maxRating && minRating > maxRating) throw badUserInput(`minRating must not exceed maxRating, got ${minRating} and ${maxRating}`, 'minRating');
  return {
    productId: integerIdArgument(f.productId, 'productId'),
    customerId: f.customerId ?? undefined,
    minRating,
    maxRating,
    createdFrom: created.from,
    createdTo: created.to,
  };
}

function ticketFilter(f: TicketFilterArgs | null | undefined): data.TicketFilter {
  if (!f) return {};
  const opened = periodArgument(f.openedFrom, f.openedTo, ['openedFrom', 'openedTo']);
  return {
    customerId: f.customerId ?? undefined,
    status: f.status ?? undefined,
    priority: f.priority ?? undefined,
    channel: f.channel ?? undefined,
    openedFrom: opened.from,
    openedTo: opened.to,
  };
}

// ---------------------------------------------------------------- resolvers

async function reviewById(id: Key, ctx: Ctx) {
  const row = await ctx.loaders.review.load(id);
  return row && review(row);
}

async function ticketById(id: Key, ctx: Ctx) {
  const row = await ctx.loaders.ticket.load(id);
  return row && ticket(row);
}

export const resolvers = {
  ReviewConnection: connectionResolvers,
  SupportTicketConnection: connectionResolvers,
  Query: {
    review: (_: unknown, { id }: { id: string }, ctx: Ctx) => reviewById(id, ctx),
    reviews: async (_: unknown, args: PageArgs & { filter?: ReviewFilterArgs | null }, ctx: Ctx) => {
      const first = pageSize(args.first);
      const filter = reviewFilter(args.filter);
      const page = await data.reviewPage(ctx.db, first, args.after, filter);
      return mapConnection(page, review, () => data.countReviews(ctx.db, filter));
    },
    supportTicket: (_: unknown, { id }: { id: string }, ctx: Ctx) => ticketById(id, ctx),
    supportTickets: async (_: unknown, args: PageArgs & { filter?: TicketFilterArgs | null }, ctx: Ctx) => {
      const first = pageSize(args.first);
      const filter = ticketFilter(args.filter);
      const page = await data.ticketPage(ctx.db, first, args.after, filter);
      return mapConnection(page, ticket, () => data.countTickets(ctx.db, filter));
    },
    satisfaction: async (_: unknown, args: { from?: string | null; to?: string | null }, ctx: Ctx) => {
      const rows = await data.satisfactionCounts(ctx.db, periodArgument(args.from, args.to, ['from', 'to']));
      const months = new Map<string, data.ScoreCount[]>();
      for (const row of rows) {
        let group = months.get(row.month);
        if (!group) months.set(row.month, (group = []));
        group.push(row);
      }
      return {
        from: args.from ?? null,
        to: args.to ?? null,
        ...summary(rows),
        distribution: countsByScore(rows),
        byChannel: CHANNELS.map((channel) => ({ channel, ...summary(rows.filter((r) => r.channel === channel)) })),
        monthly: [...months].map(([month, group]) => ({ month, ...summary(group) })),
      };
    },
  },

  Review: {
    __resolveReference: (ref: { id: string }, ctx: Ctx) => reviewById(ref.id, ctx),
  },

  SupportTicket: {
    __resolveReference: (ref: { id: string }, ctx: Ctx) => ticketById(ref.id, ctx),
  },

  Product: {
    // Contributed fields only: every product id is taken as given, its figures come from loaders.
    __resolveReference: (ref: { id: string }) => ({ id: ref.id }),
    reviews: async (p: { id: Key }, args: PageArgs & { minRating?: number | null }, ctx: Ctx) => {
      const first = pageSize(args.first);
      const minRating = stars(args.minRating, 'minRating');
      const rows = await ctx.loaders.reviewsByProduct({ first, after: args.after ?? undefined, minRating }).load(p.id);
      return toConnection(rows.map(review), first, reviewCursor, async () => (await ctx.loaders.ratingsByProduct.load(p.id)).reduce((n, r) => (r.score >= (minRating ?? 1) ? n + r.n : n), 0));
    },
    averageRating: async (p: { id: Key }, _: unknown, ctx: Ctx) => summary(await ctx.loaders.ratingsByProduct.load(p.id)).averageScore,
    reviewCount: async (p: { id: Key }, _: unknown, ctx: Ctx) => summary(await ctx.loaders.ratingsByProduct.load(p.id)).responses,
    ratingDistribution: async (p: { id: Key }, _: unknown, ctx: Ctx) =>
      countsByScore(await ctx.loaders.ratingsByProduct.load(p.id)).map(({ score, count }) => ({ rating: score, count })),
  },

  Customer: {
    __resolveReference: (ref: { id: string }) => ({ id: ref.id }),
    reviews: async (c: { id: Key }, args: PageArgs, ctx: Ctx) => {
      const first = pageSize(args.first);
      const rows = await ctx.loaders.reviewsByCustomer({ first, after: args.after ?? undefined }).load(c.id);
      return toConnection(rows.map(review), first, reviewCursor, async () => (await ctx.loaders.reviewCountByCustomer.load(c.id))?.n ?? 0);
    },
    supportTickets: async (c: { id: Key }, args: PageArgs & { status?: string[] | null }, ctx: Ctx) => {
      const first = pageSize(args.first);
      const status = args.status ?? undefined;
      const rows = await ctx.loaders.ticketsByCustomer({ first, after: args.after ?? undefined, status }).load(c.id);
      return toConnection(rows.map(ticket), first, ticketCursor, async () => (await ctx.loaders.ticketStatsByCustomer.load(c.id)).reduce((n, r) => (!status || status.includes(r.status) ? n + r.n : n), 0));
    },
    satisfaction: async (c: { id: Key }, _: unknown, ctx: Ctx) =>
      summary((await ctx.loaders.ticketStatsByCustomer.load(c.id)).filter((r): r is data.TicketStats & data.ScoreCount => r.score !== null)),
  },

  Order: {
    __resolveReference: (ref: { id: string }) => ({ id: ref.id }),
    reviews: async (o: { id: Key }, _: unknown, ctx: Ctx) => (await ctx.loaders.reviewsByOrder.load(o.id)).map(review),
    supportTickets: async (o: { id: Key }, _: unknown, ctx: Ctx) => (await ctx.loaders.ticketsByOrder.load(o.id)).map(ticket),
  },
};
