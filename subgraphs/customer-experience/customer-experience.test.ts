import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoReview, demoTicket, demoWorld } from '../../shared/demo-data';
import { encodeCursor } from '../../shared/pagination';
import { dialects } from '../../test/support/db';
import { startSubgraph, type RunningSubgraph } from '../../test/support/subgraph';
import { customerExperience } from './index';

const world = demoWorld(0.05);
const reviews = Array.from({ length: world.counts.reviews }, (_, i) => demoReview(world, i));
const tickets = Array.from({ length: world.counts.tickets }, (_, i) => demoTicket(world, i));
const byNewest = <T extends { id: number }>(at: (x: T) => string) => (a: T, b: T) => at(b).localeCompare(at(a)) || b.id - a.id;
const newestReviews = byNewest<(typeof reviews)[number]>((r) => r.createdAt);
const newestTickets = byNewest<(typeof tickets)[number]>((t) => t.openedAt);

const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null);
const mostFrequent = (keys: (string | number)[]) => {
  const counts = new Map<string | number, number>();
  for (const k of keys) counts.set(k, (counts.get(k) ?? 0) + 1);
  return [...counts].sort((a, b) => b[1] - a[1])[0][0];
};

/** Expected figures, computed from the demo generators without the subgraph's SQL. */
const reviewsOfProduct = (id: number) => reviews.filter((r) => r.productId === id);
const scoresOf = (ts: typeof tickets) => ts.map((t) => t.satisfactionScore).filter((s): s is number => s !== null);

describe.each(dialects)('customer-experience subgraph on %s', (dialect) => {
  let sg: RunningSubgraph;
  beforeAll(async () => {
    sg = await startSubgraph(customerExperience, dialect, { scale: 0.05 });
  });
  afterAll(() => sg?.stop());

  it('resolves product entities in request order with their rating figures', async () => {
    const top = Number(mostFrequent(reviews.map((r) => r.productId)));
    const other = reviews.find((r) => r.productId !== top)!.productId;
    const ids = [String(top), '999999', String(other)];
    const res = await sg.query(
      `query($r: [_Any!]!) { _entities(representations: $r) { ... on Product { id averageRating reviewCount ratingDistribution { rating count } reviews(first: 2) { totalCount nodes { id rating } } } } }`,
      { r: ids.map((id) => ({ __typename: 'Product', id })) },
    );
    expect(res.errors).toBeUndefined();
    expect(res.data._entities.map((p: any) => p.id)).toEqual(ids);
    for (const [n, id] of [top, other].entries()) {
      const entity = res.data._entities[n * 2];
      const expected = reviewsOfProduct(id);
      expect(entity.reviewCount).toBe(expected.length);
      expect(entity.averageRating).toBeCloseTo(mean(expected.map((r) => r.rating))!, 10);
      expect(entity.ratingDistribution).toEqual([1, 2, 3, 4, 5].map((rating) => ({ rating, count: expected.filter((r) => r.rating === rating).length })));
      expect(entity.reviews.totalCount).toBe(expected.length);
      expect(entity.reviews.nodes.map((r: any) => Number(r.id))).toEqual([...expected].sort(newestReviews).slice(0, 2).map((r) => r.id));
    }
    expect(res.data._entities[1]).toEqual({
      id: '999999',
      averageRating: null,
      reviewCount: 0,
      ratingDistribution: [1, 2, 3, 4, 5].map((rating) => ({ rating, count: 0 })),
      reviews: { totalCount: 0, nodes: [] },
    });
  });

  it('resolves customer entities in request order with reviews, tickets and satisfaction', async () => {
    const top = String(mostFrequent(tickets.filter((t) => t.satisfactionScore !== null).map((t) => t.customerId)));
    const reviewer = String(mostFrequent(reviews.map((r) => r.customerId)));
    const ids = [reviewer, 'C999999', top];
    const res = await sg.query(
      `query($r: [_Any!]!) { _entities(representations: $r) { ... on Customer { id
          reviews(first: 3) { totalCount nodes { id product { id } order { id } } }
          supportTickets(first: 100) { totalCount nodes { id status openedAt } }
          closed: supportTickets(status: [RESOLVED, CLOSED]) { totalCount }
          satisfaction { responses averageScore } } } }`,
      { r: ids.map((id) => ({ __typename: 'Customer', id })) },
    );
    expect(res.errors).toBeUndefined();
    expect(res.data._entities.map((c: any) => c.id)).toEqual(ids);
    for (const [n, id] of ids.entries()) {
      const entity = res.data._entities[n];
      const own = reviews.filter((r) => r.customerId === id).sort(newestReviews);
      const ownTickets = tickets.filter((t) => t.customerId === id).sort(newestTickets);
      expect(entity.reviews.totalCount).toBe(own.length);
      expect(entity.reviews.nodes).toEqual(own.slice(0, 3).map((r) => ({ id: String(r.id), product: { id: String(r.productId) }, order: { id: String(r.orderId) } })));
      expect(entity.supportTickets.totalCount).toBe(ownTickets.length);
      expect(entity.supportTickets.nodes).toEqual(ownTickets.map((t) => ({ id: String(t.id), status: t.status, openedAt: t.openedAt })));
      expect(entity.closed.totalCount).toBe(ownTickets.filter((t) => t.status === 'RESOLVED' || t.status === 'CLOSED').length);
      const scores = scoresOf(ownTickets);
      expect(entity.satisfaction.responses).toBe(scores.length);
      if (scores.length) expect(entity.satisfaction.averageScore).toBeCloseTo(mean(scores)!, 10);
      else expect(entity.satisfaction.averageScore).toBeNull();
    }
    expect(res.data._entities[1].reviews.totalCount).toBe(0);
    expect(res.data._entities[2].satisfaction.responses).toBeGreaterThan(0);
  });

  it('resolves review and ticket entities and their order references, null for a missing id', async () => {
    const res = await sg.query(
      `query($r: [_Any!]!) { _entities(representations: $r) {
          ... on Review { id rating title createdAt customer { id } }
          ... on SupportTicket { id subject channel priority closedAt satisfactionScore order { id } } } }`,
      { r: [{ __typename: 'Review', id: '3' }, { __typename: 'Review', id: '99999' }, { __typename: 'SupportTicket', id: '2' }, { __typename: 'Review', id: 'x' }] },
    );
    expect(res.errors).toBeUndefined();
    const [r3, missing, t2, garbage] = res.data._entities;
    const review = demoReview(world, 2);
    const ticket = demoTicket(world, 1);
    expect(r3).toEqual({ id: '3', rating: review.rating, title: review.title, createdAt: review.createdAt, customer: { id: review.customerId } });
    expect(missing).toBeNull();
    expect(garbage).toBeNull();
    expect(t2).toEqual({
      id: '2', subject: ticket.subject, channel: ticket.channel, priority: ticket.priority,
      closedAt: ticket.closedAt, satisfactionScore: ticket.satisfactionScore, order: { id: String(ticket.orderId) },
    });

    const root = await sg.query(`{ review(id: "3") { id rating } supportTicket(id: "99999") { id } }`);
    expect(root.data).toEqual({ review: { id: '3', rating: review.rating }, supportTicket: null });

    const order = await sg.query(
      `query($r: [_Any!]!) { _entities(representations: $r) { ... on Order { id reviews { id } supportTickets { id } } } }`,
      { r: [{ __typename: 'Order', id: String(ticket.orderId) }] },
    );
    expect(order.errors).toBeUndefined();
    expect(order.data._entities[0].supportTickets.map((t: any) => Number(t.id))).toEqual(
      tickets.filter((t) => t.orderId === ticket.orderId).sort(newestTickets).map((t) => t.id),
    );
    expect(order.data._entities[0].reviews.map((r: any) => Number(r.id))).toEqual(
      reviews.filter((r) => r.orderId === ticket.orderId).sort(newestReviews).map((r) => r.id),
    );
  });

  it('filters reviews and tickets', async () => {
    // Bounds on days that hold reviews: a date bound covers its whole UTC day.
    const sorted = [...reviews].sort(newestReviews);
    const to = sorted.slice(reviews.length / 4).find((r) => r.rating === 3 && !r.createdAt.includes('T00:'))!.createdAt.slice(0, 10);
    const from = sorted[Math.floor((reviews.length * 3) / 4)].createdAt.slice(0, 10);
    const expected = reviews
      .filter((r) => r.rating >= 2 && r.rating <= 4 && r.createdAt >= `${from}T00:00:00.000Z` && r.createdAt <= `${to}T23:59:59.999Z`)
      .sort(newestReviews);
    const res = await sg.query(
      `{ reviews(first: 100, filter: { minRating: 2, maxRating: 4, createdFrom: "${from}", createdTo: "${to}" }) { totalCount nodes { id } } }`,
    );
    expect(res.errors).toBeUndefined();
    expect(expected.length).toBeGreaterThan(0);
    expect(res.data.reviews.totalCount).toBe(expected.length);
    expect(res.data.reviews.nodes.map((n: any) => Number(n.id))).toEqual(expected.slice(0, 100).map((r) => r.id));

    const product = reviews[0].productId;
    const ofProduct = await sg.query(`{ reviews(first: 100, filter: { productId: "${product}", minRating: 4 }) { totalCount } }`);
    expect(ofProduct.data.reviews.totalCount).toBe(reviewsOfProduct(product).filter((r) => r.rating >= 4).length);

    const urgent = tickets.filter((t) => t.priority === 'URGENT' || t.priority === 'HIGH');
    const phone = await sg.query(`{ supportTickets(first: 100, filter: { channel: PHONE, status: [RESOLVED, CLOSED], openedFrom: "2024-03-01T00:00:00+01:00" }) { totalCount nodes { id } } }`);
    const expectedPhone = tickets
      .filter((t) => t.channel === 'PHONE' && (t.status === 'RESOLVED' || t.status === 'CLOSED') && t.openedAt >= '2024-02-29T23:00:00.000Z')
      .sort(newestTickets);
    expect(phone.data.supportTickets.nodes.map((n: any) => Number(n.id))).toEqual(expectedPhone.map((t) => t.id));
    const high = await sg.query(`{ supportTickets(filter: { priority: HIGH, customerId: "${urgent[0].customerId}" }) { totalCount } }`);
    expect(high.data.supportTickets.totalCount).toBe(tickets.filter((t) => t.priority === 'HIGH' && t.customerId === urgent[0].customerId).length);
  });

  it('pages root and nested lists by keyset without gaps or repeats', async () => {
    const pageThrough = async (field: string, query: (after: string | null) => string, pick: (data: any) => any) => {
      const seen: number[] = [];
      let after: string | null = null;
      for (;;) {
        const res = await sg.query(query(after));
        expect(res.errors, field).toBeUndefined();
        const page = pick(res.data);
        seen.push(...page.nodes.map((n: any) => Number(n.id)));
        if (!page.pageInfo.hasNextPage) return seen;
        after = page.pageInfo.endCursor;
      }
    };
    const page = `pageInfo { hasNextPage endCursor } nodes { id }`;
    const arg = (after: string | null) => (after ? `, after: "${after}"` : '');

    const allReviews = await pageThrough('reviews', (after) => `{ reviews(first: 7${arg(after)}) { ${page} } }`, (d) => d.reviews);
    expect(allReviews).toEqual([...reviews].sort(newestReviews).map((r) => r.id));

    const closed = await pageThrough(
      'supportTickets',
      (after) => `{ supportTickets(first: 3${arg(after)}, filter: { status: [CLOSED, RESOLVED] }) { ${page} } }`,
      (d) => d.supportTickets,
    );
    expect(closed).toEqual(tickets.filter((t) => t.closedAt !== null).sort(newestTickets).map((t) => t.id));

    const top = mostFrequent(reviews.map((r) => r.productId));
    const nested = await pageThrough(
      'Product.reviews',
      (after) => `{ _entities(representations: [{ __typename: "Product", id: "${top}" }]) { ... on Product { reviews(first: 2, minRating: 3${arg(after)}) { ${page} } } } }`,
      (d) => d._entities[0].reviews,
    );
    expect(nested).toEqual(reviewsOfProduct(Number(top)).filter((r) => r.rating >= 3).sort(newestReviews).map((r) => r.id));
  });

  it('reports satisfaction of closed tickets by score, channel and month', async () => {
    const scored = tickets.filter((t) => t.closedAt !== null && t.satisfactionScore !== null);
    const check = (report: any, expected: typeof tickets) => {
      expect(report.responses).toBe(expected.length);
      expect(report.averageScore).toBeCloseTo(mean(scoresOf(expected))!, 10);
      expect(report.distribution).toEqual([1, 2, 3, 4, 5].map((score) => ({ score, count: expected.filter((t) => t.satisfactionScore === score).length })));
      for (const channel of ['EMAIL', 'PHONE', 'CHAT']) {
        const own = expected.filter((t) => t.channel === channel);
        const row = report.byChannel.find((c: any) => c.channel === channel);
        expect(row.responses).toBe(own.length);
        if (own.length) expect(row.averageScore).toBeCloseTo(mean(scoresOf(own))!, 10);
        else expect(row.averageScore).toBeNull();
      }
      const months = [...new Set(expected.map((t) => t.closedAt!.slice(0, 7)))].sort();
      expect(report.monthly.map((m: any) => m.month)).toEqual(months);
      for (const m of report.monthly) {
        const own = expected.filter((t) => t.closedAt!.startsWith(m.month));
        expect(m.responses).toBe(own.length);
        expect(m.averageScore).toBeCloseTo(mean(scoresOf(own))!, 10);
      }
    };
    const fields = `responses averageScore distribution { score count } byChannel { channel responses averageScore } monthly { month responses averageScore }`;
    const all = await sg.query(`{ satisfaction { from to ${fields} } }`);
    expect(all.errors).toBeUndefined();
    expect(all.data.satisfaction).toMatchObject({ from: null, to: null });
    check(all.data.satisfaction, scored);

    // From the day of the earliest answer to the day of the latest but one: both bound days count.
    const closed = scored.map((t) => t.closedAt!).sort();
    const [from, to] = [closed[0].slice(0, 10), closed[closed.length - 2].slice(0, 10)];
    const ranged = await sg.query(`{ satisfaction(from: "${from}", to: "${to}") { from to ${fields} } }`);
    expect(ranged.errors).toBeUndefined();
    expect(ranged.data.satisfaction).toMatchObject({ from, to });
    const inRange = scored.filter((t) => t.closedAt!.slice(0, 10) <= to);
    expect(inRange.length).toBeGreaterThan(0);
    expect(inRange.length).toBeLessThan(scored.length);
    check(ranged.data.satisfaction, inRange);
  });

  it('refuses invalid arguments with BAD_USER_INPUT', async () => {
    const product = (args: string) => `{ _entities(representations: [{ __typename: "Product", id: "1" }]) { ... on Product { reviews(${args}) { nodes { id } } } } }`;
    const invalid = [
      `{ reviews(first: 101) { nodes { id } } }`,
      `{ reviews(after: "bm90LWEtY3Vyc29y") { nodes { id } } }`,
      // A well-formed cursor of another list (a product page's [price, id]).
      `{ supportTickets(after: "${encodeCursor([12.5, 3])}") { nodes { id } } }`,
      `{ reviews(filter: { createdFrom: "2024-02-30" }) { nodes { id } } }`,
      `{ reviews(filter: { createdTo: "yesterday" }) { nodes { id } } }`,
      `{ reviews(filter: { minRating: 9 }) { nodes { id } } }`,
      `{ reviews(filter: { minRating: 4, maxRating: 2 }) { nodes { id } } }`,
      `{ reviews(filter: { productId: "abc" }) { nodes { id } } }`,
      `{ supportTickets(filter: { openedFrom: "2025-01-01", openedTo: "2024-01-01" }) { nodes { id } } }`,
      `{ satisfaction(from: "2024-13-01") { responses } }`,
      product('minRating: 9'),
      product('first: 101'),
      product('after: "bm90LWEtY3Vyc29y"'),
      // Ids and cursor values beyond what PostgreSQL's integer and timestamp columns hold.
      `{ reviews(filter: { productId: "99999999999" }) { nodes { id } } }`,
      `{ reviews(after: "${encodeCursor(['2024-01-01T00:00:00.000Z', 1e12])}") { nodes { id } } }`,
      `{ supportTickets(after: "${encodeCursor(['0000-01-01T00:00:00.000Z', 3])}") { nodes { id } } }`,
      `{ reviews(filter: { createdFrom: "2024-01-01T25:00:00Z" }) { nodes { id } } }`,
      product(`after: "${encodeCursor(['2024-01-01T00:00:00+16:00', 3])}"`),
    ];
    for (const query of invalid) {
      const res = await sg.query(query);
      expect(res.errors?.[0].extensions.code, query).toBe('BAD_USER_INPUT');
    }
  });

  it('loads entities and their relations with a constant number of statements', async () => {
    const productIds = [...new Set(reviews.map((r) => String(r.productId)))];
    const customerIds = [...new Set([...reviews, ...tickets].map((x) => x.customerId))];
    expect(productIds.length).toBeGreaterThanOrEqual(30);
    expect(customerIds.length).toBeGreaterThanOrEqual(30);
    const count = async (query: string, typename: string, ids: string[]) => {
      const before = sg.statements();
      const res = await sg.query(query, { r: ids.map((id) => ({ __typename: typename, id })) });
      expect(res.errors).toBeUndefined();
      expect(res.data._entities).toHaveLength(ids.length);
      return sg.statements() - before;
    };
    const products = `query($r: [_Any!]!) { _entities(representations: $r) { ... on Product {
        reviews(first: 3) { totalCount nodes { rating customer { id } } } averageRating reviewCount ratingDistribution { rating count } } } }`;
    const customers = `query($r: [_Any!]!) { _entities(representations: $r) { ... on Customer {
        reviews(first: 3) { totalCount nodes { id } } supportTickets(first: 3, status: [CLOSED]) { totalCount nodes { id } } satisfaction { averageScore } } } }`;
    // Products: review pages + ratings per product (count, mean, distribution and totalCount).
    // Customers: review pages + review counts + ticket pages + tickets per status and score.
    expect(await count(products, 'Product', productIds.slice(0, 2))).toBe(2);
    expect(await count(products, 'Product', productIds.slice(0, 30))).toBe(2);
    expect(await count(customers, 'Customer', customerIds.slice(0, 2))).toBe(4);
    expect(await count(customers, 'Customer', customerIds.slice(0, 30))).toBe(4);
  });
});
