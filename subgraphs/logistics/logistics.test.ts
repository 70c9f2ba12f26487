import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoShipments, demoWorld } from '../../shared/demo-data';
import { encodeCursor } from '../../shared/pagination';
import { dialects } from '../../test/support/db';
import { startSubgraph, type RunningSubgraph } from '../../test/support/subgraph';
import { logistics } from './index';

const world = demoWorld(0.05);
const shipments = Array.from({ length: world.counts.orders }, (_, i) => demoShipments(world, i)).flat();
type DemoShipment = (typeof shipments)[number];
const deliveryDays = (s: DemoShipment) => (Date.parse(s.deliveredAt!) - Date.parse(s.shippedAt)) / 86_400_000;
const idsOf = (list: DemoShipment[]) => list.map((s) => s.id).sort();

describe.each(dialects)('logistics subgraph on %s', (dialect) => {
  let sg: RunningSubgraph;
  beforeAll(async () => {
    sg = await startSubgraph(logistics, dialect, { scale: 0.05 });
  });
  afterAll(() => sg?.stop());

  const PAGE = 'totalCount pageInfo { hasNextPage endCursor } nodes { id shippedAt freight }';

  /** Follows `endCursor` to the last page; `select` uses `$after`, `pick` finds the connection. */
  async function pageAll(select: string, pick: (data: any) => any) {
    const nodes: any[] = [];
    let after: string | null = null;
    for (;;) {
      const res: any = await sg.query(`query($after: String) { ${select} }`, { after });
      expect(res.errors).toBeUndefined();
      const page = pick(res.data);
      nodes.push(...page.nodes);
      if (!page.pageInfo.hasNextPage) return { nodes, totalCount: page.totalCount };
      after = page.pageInfo.endCursor;
    }
  }

  it('resolves order entities to their shipments, in request order', async () => {
    const split = shipments.find((s) => s.id.endsWith('-2'))!.orderId;
    const inTransit = shipments.find((s) => s.status === 'IN_TRANSIT')!.orderId;
    const unshipped = Array.from({ length: world.counts.orders }, (_, i) => i).find((i) => demoShipments(world, i).length === 0)! + 1;
    const ids = [split, 999999, unshipped, inTransit].map(String);
    const res = await sg.query(
      `query($r: [_Any!]!) { _entities(representations: $r) { ... on Order { id shipmentStatus shipments { id shippedAt order { id } } } } }`,
      { r: ids.map((id) => ({ __typename: 'Order', id })) },
    );
    expect(res.errors).toBeUndefined();
    const [first, missing, none, moving] = res.data._entities;
    expect(res.data._entities.map((o: any) => o.id)).toEqual(ids);
    const expected = shipments.filter((s) => s.orderId === split).sort((a, b) => a.shippedAt.localeCompare(b.shippedAt));
    expect(first.shipments.map((s: any) => s.id)).toEqual(expected.map((s) => s.id));
    expect(first.shipments.every((s: any) => s.order.id === String(split))).toBe(true);
    expect(first.shipmentStatus).toBe('DELIVERED');
    expect(missing).toEqual({ id: '999999', shipmentStatus: null, shipments: [] });
    expect(none).toEqual({ id: String(unshipped), shipmentStatus: null, shipments: [] });
    expect(moving.shipmentStatus).toBe('IN_TRANSIT');
  });

  it('resolves shipment entities by id, in request order, with tracking events', async () => {
    const delivered = shipments.find((s) => s.status === 'DELIVERED')!;
    const moving = shipments.find((s) => s.status === 'IN_TRANSIT')!;
    const ids = [moving.id, 'SHP-0-0', delivered.id];
    const res = await sg.query(
      `query($r: [_Any!]!) { _entities(representations: $r) { ... on Shipment { id status shippedAt deliveredAt deliveryDays freight trackingNumber
        order { id } carrier { id } deliveryAddress { city postalCode country } trackingEvents { sequence occurredAt status location } } } }`,
      { r: ids.map((id) => ({ __typename: 'Shipment', id })) },
    );
    expect(res.errors).toBeUndefined();
    expect(res.data._entities.map((s: any) => s?.id ?? null)).toEqual([moving.id, null, delivered.id]);
    for (const [got, want] of [[res.data._entities[0], moving], [res.data._entities[2], delivered]] as const) {
      expect(got).toMatchObject({
        status: want.status,
        shippedAt: want.shippedAt,
        deliveredAt: want.deliveredAt,
        freight: want.freight,
        trackingNumber: want.trackingNumber,
        order: { id: String(want.orderId) },
        carrier: { id: String(want.carrierId) },
        deliveryAddress: { city: want.deliveryAddress.city, postalCode: want.deliveryAddress.postalCode, country: want.deliveryAddress.country },
        trackingEvents: want.events.map(({ shipmentId: _, ...e }) => e),
      });
    }
    expect(res.data._entities[0].deliveryDays).toBeNull();
    expect(res.data._entities[2].deliveryDays).toBeCloseTo(deliveryDays(delivered), 5);
  });

  it('computes delivery statistics per carrier in SQL', async () => {
    const res = await sg.query(
      `{ carriers { id name deliveryStats { shipmentCount deliveredCount inTransitCount averageDeliveryDays fastestDeliveryDays slowestDeliveryDays totalFreight } } }`,
    );
    expect(res.errors).toBeUndefined();
    expect(res.data.carriers).toHaveLength(world.counts.carriers);
    for (const carrier of res.data.carriers) {
      const mine = shipments.filter((s) => String(s.carrierId) === carrier.id);
      const days = mine.filter((s) => s.deliveredAt).map(deliveryDays);
      const stats = carrier.deliveryStats;
      expect(stats).toMatchObject({
        shipmentCount: mine.length,
        deliveredCount: days.length,
        inTransitCount: mine.filter((s) => s.status === 'IN_TRANSIT').length,
      });
      expect(days.length).toBeGreaterThan(0);
      expect(stats.averageDeliveryDays).toBeCloseTo(days.reduce((a, b) => a + b, 0) / days.length, 5);
      expect(stats.fastestDeliveryDays).toBeCloseTo(Math.min(...days), 5);
      expect(stats.slowestDeliveryDays).toBeCloseTo(Math.max(...days), 5);
      expect(stats.totalFreight).toBeCloseTo(mine.reduce((n, s) => n + s.freight, 0), 2);
    }
  });

  it('filters shipments by carrier, status, order and inclusive shipping dates', async () => {
    const query = async (filter: string) => {
      const res = await sg.query(`{ shipments(first: 100, filter: ${filter}) { totalCount nodes { id } } }`);
      expect(res.errors).toBeUndefined();
      return { totalCount: res.data.shipments.totalCount, ids: res.data.shipments.nodes.map((n: any) => n.id).sort() };
    };
    const march = shipments.filter((s) => s.carrierId === 2 && s.status === 'DELIVERED' && s.shippedAt >= '2024-03-01' && s.shippedAt < '2024-04-01');
    expect(march.length).toBeGreaterThan(0);
    expect(await query(`{ carrierId: "2", status: [DELIVERED], shippedFrom: "2024-03-01", shippedTo: "2024-03-31" }`)).toEqual({
      totalCount: march.length,
      ids: idsOf(march),
    });
    // The busiest shipping day, as a one-day range: both bounds are inclusive.
    const onDay = (day: string) => shipments.filter((s) => s.shippedAt.startsWith(day));
    const day = shipments.map((s) => s.shippedAt.slice(0, 10)).reduce((best, d) => (onDay(d).length > onDay(best).length ? d : best));
    const sameDay = onDay(day);
    expect(sameDay.length).toBeGreaterThan(1);
    expect(await query(`{ shippedFrom: "${day}", shippedTo: "${day}" }`)).toEqual({ totalCount: sameDay.length, ids: idsOf(sameDay) });
    const moving = shipments.filter((s) => s.status === 'IN_TRANSIT');
    expect(await query(`{ status: [IN_TRANSIT, SHIPPED] }`)).toEqual({ totalCount: moving.length, ids: idsOf(moving) });
    const order = shipments[0].orderId;
    expect(await query(`{ orderId: "${order}" }`)).toMatchObject({ ids: idsOf(shipments.filter((s) => s.orderId === order)) });
  });

  it('pages shipments by keyset without gaps or repeats, at the root and per carrier', async () => {
    const bySent = await pageAll(`shipments(first: 50, after: $after) { ${PAGE} }`, (d) => d.shipments);
    expect(bySent.totalCount).toBe(shipments.length);
    expect(bySent.nodes.map((n) => n.id).sort()).toEqual(idsOf(shipments));
    const sent = bySent.nodes.map((n) => n.shippedAt);
    expect([...sent].sort()).toEqual(sent);

    const delivered = shipments.filter((s) => s.status === 'DELIVERED');
    const byFreight = await pageAll(
      `shipments(first: 30, after: $after, filter: { status: [DELIVERED] }, orderBy: { field: FREIGHT, direction: DESC }) { ${PAGE} }`,
      (d) => d.shipments,
    );
    expect(byFreight.nodes.map((n) => n.id).sort()).toEqual(idsOf(delivered));
    const freights = byFreight.nodes.map((n) => n.freight);
    expect([...freights].sort((a, b) => b - a)).toEqual(freights);

    const carrier3 = shipments.filter((s) => s.carrierId === 3);
    const nested = await pageAll(`carrier(id: "3") { shipments(first: 40, after: $after) { ${PAGE} } }`, (d) => d.carrier.shipments);
    expect(nested.totalCount).toBe(carrier3.length);
    expect(nested.nodes.map((n) => n.id).sort()).toEqual(idsOf(carrier3));
    const nestedSent = nested.nodes.map((n) => n.shippedAt);
    expect([...nestedSent].sort()).toEqual(nestedSent);
  });

  it('refuses oversized pages, forged cursors and bad dates with BAD_USER_INPUT', async () => {
    const forgedTimestamp = Buffer.from(JSON.stringify(['yesterday', 'SHP-1-1'])).toString('base64url');
    const bad = [
      `{ shipments(first: 101) { nodes { id } } }`,
      `{ carriers { shipments(first: 101) { nodes { id } } } }`,
      `{ shipments(after: "bm90LWEtY3Vyc29y") { nodes { id } } }`,
      `{ shipments(after: "${forgedTimestamp}") { nodes { id } } }`,
      `{ carrier(id: "1") { shipments(after: "${forgedTimestamp}") { nodes { id } } } }`,
      `{ shipments(filter: { shippedFrom: "2024-02-30" }) { nodes { id } } }`,
      `{ shipments(filter: { shippedTo: "last week" }) { nodes { id } } }`,
      `{ shipments(filter: { carrierId: "speedy" }) { nodes { id } } }`,
      // Well-formed cursors whose values PostgreSQL would refuse or that no shipment list issues.
      `{ shipments(after: "${encodeCursor(['2024-02-30T00:00:00.000Z', 'SHP-1-1'])}") { nodes { id } } }`,
      `{ shipments(after: "${encodeCursor(['2024-01-01T00:00:00.000Z', 7])}") { nodes { id } } }`,
      `{ shipments(after: "${encodeCursor(['12.5', 'SHP-1-1'])}", orderBy: { field: FREIGHT }) { nodes { id } } }`,
      `{ carrier(id: "1") { shipments(after: "${encodeCursor([12.5, 'SHP-1-1'])}") { nodes { id } } } }`,
      `{ shipments(filter: { orderId: "99999999999" }) { nodes { id } } }`,
    ];
    for (const query of bad) {
      const res = await sg.query(query);
      expect(res.errors?.[0].extensions.code, query).toBe('BAD_USER_INPUT');
    }
  });

  it('resolves order entities with nested relations in a constant number of statements', async () => {
    const orderIds = [...new Set(shipments.map((s) => String(s.orderId)))];
    const count = async (n: number) => {
      const before = sg.statements();
      const res = await sg.query(
        `query($r: [_Any!]!) { _entities(representations: $r) { ... on Order { id shipments {
          carrier { name deliveryStats { averageDeliveryDays } } trackingEvents { status } order { id } } } } }`,
        { r: orderIds.slice(0, n).map((id) => ({ __typename: 'Order', id })) },
      );
      expect(res.errors).toBeUndefined();
      expect(res.data._entities).toHaveLength(n);
      expect(res.data._entities.every((o: any) => o.shipments.length > 0)).toBe(true);
      return sg.statements() - before;
    };
    expect(await count(60)).toBe(await count(2));
  });

  it('loads carriers with nested shipment pages in a constant number of statements', async () => {
    const count = async (n: number) => {
      const before = sg.statements();
      const res = await sg.query(
        `{ carriers { name deliveryStats { shipmentCount } shipments(first: ${n}) { totalCount nodes {
          id carrier { name } order { id shipmentStatus } trackingEvents { status } } } } }`,
      );
      expect(res.errors).toBeUndefined();
      expect(res.data.carriers.every((c: any) => c.shipments.nodes.length === n)).toBe(true);
      return sg.statements() - before;
    };
    expect(await count(60)).toBe(await count(2));
  });
});
