import { describe, expect, it } from 'vitest';
import { decodeCursor, encodeCursor, mapConnection, toConnection } from '../../shared/pagination';

interface Row {
  id: number;
  at: string;
}

const rows: Row[] = [1, 2, 3, 4].map((id) => ({ id, at: `2024-01-0${id}` }));

/** A keyset function that counts its calls: cursors are encoded only when read. */
function countingKeyset() {
  const calls: number[] = [];
  const keysetOf = (row: Row) => {
    calls.push(row.id);
    return [row.at, row.id];
  };
  return { calls, keysetOf };
}

describe('toConnection', () => {
  it('pages limit rows of limit + 1 and says whether a next page exists', () => {
    const page = toConnection(rows, 3, (r) => [r.at, r.id]);
    expect(page.nodes.map((n) => n.id)).toEqual([1, 2, 3]);
    expect(page.edges.map((e) => e.node.id)).toEqual([1, 2, 3]);
    expect(page.pageInfo.hasNextPage).toBe(true);
    const last = toConnection(rows, 4, (r) => [r.at, r.id]);
    expect(last.pageInfo.hasNextPage).toBe(false);
    expect(last.nodes).toHaveLength(4);
  });

  it('encodes a cursor only when it is read, once, as the keyset values of its row', () => {
    const { calls, keysetOf } = countingKeyset();
    const page = toConnection(rows, 3, keysetOf);
    expect(page.nodes).toHaveLength(3);
    expect(calls).toEqual([]);

    expect(page.edges[1].cursor).toBe(encodeCursor(['2024-01-02', 2]));
    expect(page.edges[1].cursor).toBe(encodeCursor(['2024-01-02', 2]));
    expect(calls).toEqual([2]);

    expect(page.pageInfo.endCursor).toBe(page.edges[2].cursor);
    expect(decodeCursor(page.pageInfo.endCursor!, ['date', 'integer'])).toEqual(['2024-01-03', 3]);
    expect(calls).toEqual([2, 3]);
  });

  it('has no end cursor on an empty page', () => {
    const page = toConnection([] as Row[], 5, (r) => [r.at, r.id]);
    expect(page.edges).toEqual([]);
    expect(page.pageInfo).toMatchObject({ hasNextPage: false, endCursor: null });
  });

  it('keeps the total count function for the resolver that calls it when asked', () => {
    let counted = 0;
    const page = toConnection(rows, 2, (r) => [r.at, r.id], () => ++counted);
    expect(counted).toBe(0);
    expect(typeof page.totalCount === 'function' && page.totalCount()).toBe(1);
  });
});

describe('mapConnection', () => {
  it('maps every node and keeps each cursor of the row it came from', () => {
    const { calls, keysetOf } = countingKeyset();
    const page = mapConnection(toConnection(rows, 3, keysetOf), (row) => ({ orderId: `O-${row.id}` }), () => 42);
    expect(page.nodes).toEqual([{ orderId: 'O-1' }, { orderId: 'O-2' }, { orderId: 'O-3' }]);
    expect(page.edges.map((e) => e.node)).toEqual(page.nodes);
    expect(calls).toEqual([]);
    expect(page.edges[0].cursor).toBe(encodeCursor(['2024-01-01', 1]));
    expect(page.pageInfo).toMatchObject({ hasNextPage: true, endCursor: encodeCursor(['2024-01-03', 3]) });
    expect(typeof page.totalCount === 'function' && page.totalCount()).toBe(42);
  });
});
