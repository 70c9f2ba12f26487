import { buildSchema, operationFromDocument, type Operation } from '@apollo/federation-internals';
import { parse } from 'graphql';
import { describe, expect, it } from 'vitest';
import { computeResponse, installResultShaping, isCompiled, sharedOperations } from '../../gateway/result-shaping';

// Apollo's own, the reference: ours must give the same data and the same errors for any input.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const apollo = require('@apollo/gateway/dist/resultShaping').computeResponse as typeof computeResponse;

const SDL = `
  scalar JSON
  enum Status { OPEN SHIPPED }
  interface Node { id: ID! }
  type Product implements Node { id: ID! name: String! price: Float tags: [String!] meta: JSON stock: Int }
  type Order implements Node { id: ID! status: Status! total: Float! lines: [Line!]! note: String }
  type Line { qty: Int! product: Product }
  union Hit = Product | Order
  type Query { orders: [Order!]! order: Order node: Node search: [Hit] flag: Boolean }
`;
const schema = buildSchema(SDL);

const QUERY = `query Q($withNote: Boolean!, $skipLines: Boolean = false) {
  orders {
    id kind: __typename status total
    note @include(if: $withNote)
    lines @skip(if: $skipLines) { qty product { id name price tags meta stock } }
    ...OrderBits
  }
  order { id ... on Order { lines { qty } } }
  node { __typename id ... on Product { name } ... on Order { status } }
  search { __typename ... on Product { id price } ... on Order { id total } ... on Node { id } }
  flag
}
fragment OrderBits on Order { id lines { product { name } } }`;

const operation: Operation = operationFromDocument(schema, parse(QUERY), { validate: true });
const introspectionHandling = () => ({ introspected: true });

function both(input: any, variables: Record<string, unknown>, op: Operation = operation) {
  // Each walker gets its own copy of the input; one that throws (both assert on shapes they
  // cannot shape, like a list where an object goes) is compared by its message.
  const run = (shape: typeof computeResponse) => {
    try {
      const r = shape({ operation: op, variables, input: JSON.parse(JSON.stringify(input)), introspectionHandling });
      return { data: JSON.parse(JSON.stringify(r.data ?? null)), errors: r.errors.map((e) => ({ message: e.message, path: e.path, code: e.extensions?.code })) };
    } catch (err) {
      return { thrown: (err as Error).message, errors: [] };
    }
  };
  return { ours: run(computeResponse), theirs: run(apollo) };
}

const product = (i: number) => ({ id: `P${i}`, name: `name ${i}`, price: i + 0.5, tags: ['a', 'b'], meta: { any: [i] }, stock: i });
const order = (i: number) => ({ __typename: 'Order', id: `O${i}`, kind: 'Order', status: 'OPEN', total: 10 * i, note: null, lines: [{ qty: i, product: product(i) }, { qty: 2, product: null }] });

describe("result shaping: the same as @apollo/gateway's computeResponse", () => {
  it('a well-formed response, with the directives either way', () => {
    const input = { orders: [order(1), order(2)], order: order(3), node: { __typename: 'Product', ...product(4) }, search: [{ ...order(5), __typename: 'Order' }, { __typename: 'Product', ...product(6) }, null], flag: true };
    for (const variables of [{ withNote: true }, { withNote: false, skipLines: true }]) {
      const { ours, theirs } = both(input, variables);
      expect(theirs.errors).toEqual([]);
      expect(ours).toEqual(theirs);
    }
  });

  it('nulls that propagate, invalid leaves and an unknown __typename give the same data and errors', () => {
    const broken = [
      { orders: [{ ...order(1), status: null }] }, // non-null in a non-null list: the whole list, then the root
      { orders: [{ ...order(1), total: 'ten' }] }, // a string where a Float goes
      { orders: [order(1), { ...order(2), status: 'LOST' }] }, // no such enum value
      { orders: [{ ...order(1), lines: [{ qty: 1.5, product: product(1) }] }] }, // a float where an Int goes
      { orders: [order(1)], node: { __typename: 'Nope', id: 'x' } }, // a type the schema lacks
      { orders: [order(1)], search: [{ __typename: 'Product', ...product(1), price: true }] },
      { orders: [order(1)], flag: 'yes' },
      { orders: [{ ...order(1), lines: [{ qty: 1, product: { ...product(1), name: null, tags: ['a', null] } }] }] },
      { orders: [{ ...order(1), lines: [{ qty: 1, product: { ...product(1), tags: ['a', null] } }] }] }, // a nullable list: only it becomes null
      { orders: [{ ...order(1), lines: [{ qty: 1, product: { ...product(1), stock: 1e21 } }] }] }, // an integer that prints as 1e+21
    ];
    for (const input of broken) {
      const { ours, theirs } = both(input, { withNote: true });
      expect(theirs.errors.length).toBeGreaterThan(0);
      expect(ours).toEqual(theirs);
    }
  });

  it('the first request walks the operation, the second compiles it, and all three give the same', () => {
    const inputs = [
      { orders: [order(1), order(2)], order: order(3), node: { __typename: 'Product', ...product(4) }, search: [{ ...order(5), __typename: 'Order' }, { __typename: 'Product', ...product(6) }, null], flag: true },
      { orders: [{ ...order(1), status: null }] },
      { orders: [order(1), { ...order(2), status: 'LOST' }] },
      { orders: [{ ...order(1), lines: [{ qty: 1.5, product: product(1) }] }] },
      { orders: [order(1)], node: { __typename: 'Nope', id: 'x' } },
      { orders: [order(1)], search: [{ __typename: 'Product', ...product(1), price: true }] },
      { orders: [{ ...order(1), lines: [{ qty: 1, product: { ...product(1), tags: ['a', null] } }] }] },
    ];
    for (const input of inputs) {
      // A fresh Operation (new selection sets) for each input: nothing compiled yet.
      const fresh = operationFromDocument(schema, parse(QUERY), { validate: true });
      const runs = [{ withNote: true }, { withNote: false, skipLines: true }, { withNote: true }].map((variables) => {
        const { ours, theirs } = both(input, variables, fresh);
        expect(ours).toEqual(theirs);
        return isCompiled(fresh.selectionSet);
      });
      expect(runs).toEqual([false, true, true]);
    }
  });

  it('random damage to a large response: identical every time', () => {
    let seed = 7;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const values = [null, 'text', 3, 2.5, 1e21, -0, true, 'OPEN', 'SHIPPED', { __typename: 'Product' }, { __typename: 'Line' }, [], [null], undefined];
    const damage = (value: any): any => {
      if (Array.isArray(value)) return value.map(damage);
      if (value && typeof value === 'object') {
        const out: any = {};
        for (const [k, v] of Object.entries(value)) {
          if (random() < 0.03) {
            const replacement = values[Math.floor(random() * values.length)];
            if (replacement !== undefined) out[k] = replacement;
          } else out[k] = damage(v);
        }
        return out;
      }
      return value;
    };
    let differing = 0;
    let withErrors = 0;
    for (let round = 0; round < 300; round++) {
      const input = damage({ orders: Array.from({ length: 5 }, (_, i) => order(i)), order: order(9), node: { __typename: random() < 0.5 ? 'Order' : 'Product', ...(random() < 0.5 ? order(7) : product(7)) }, search: [{ ...order(8), __typename: 'Order' }, { __typename: 'Product', ...product(8) }], flag: false });
      const { ours, theirs } = both(input, { withNote: random() < 0.5, skipLines: random() < 0.3 });
      if (theirs.errors.length || 'thrown' in theirs) withErrors++;
      if (JSON.stringify(ours) !== JSON.stringify(theirs)) differing++;
      expect(ours).toEqual(theirs);
    }
    expect(differing).toBe(0);
    // The damage must actually reach the error paths, or this test proves nothing.
    expect(withErrors).toBeGreaterThan(50);
  });
});

describe('result shaping: the objects it builds', () => {
  // Response names that Object.prototype also has: with a prototype of Object's, reading
  // `output[name]` would find the inherited member, and assigning `__proto__` would set the prototype.
  const aliased = operationFromDocument(
    schema,
    parse('{ order { constructor: id __proto__: status toString: total hasOwnProperty: lines { valueOf: qty } } }'),
    { validate: true },
  );
  const input = { order: { constructor: 'O1', __proto__: null, toString: 3.5, hasOwnProperty: [{ valueOf: 2 }] } };
  // `__proto__` in an object literal sets the prototype; JSON.parse makes it an own key, as a subgraph's response would.
  const parsedInput = () => JSON.parse(JSON.stringify(input).replace('"toString"', '"__proto__":"OPEN","toString"'));

  it('keeps response names Object.prototype also has as own keys, as Apollo does, walked and compiled', () => {
    for (const compiled of [false, true, true]) {
      const ours = computeResponse({ operation: aliased, variables: {}, input: parsedInput(), introspectionHandling });
      const theirs = apollo({ operation: aliased, variables: {}, input: parsedInput(), introspectionHandling });
      expect(isCompiled(aliased.selectionSet)).toBe(compiled);
      expect(ours.errors).toEqual([]);
      expect(JSON.stringify(ours.data)).toBe(JSON.stringify(theirs.data));
      expect(JSON.stringify(ours.data)).toBe('{"order":{"constructor":"O1","__proto__":"OPEN","toString":3.5,"hasOwnProperty":[{"valueOf":2}]}}');
    }
    // Missing, they are null, not Object.prototype's members.
    const shapeMissing = (shape: typeof computeResponse) => {
      const { data, errors } = shape({ operation: aliased, variables: {}, input: { order: { toString: 1, hasOwnProperty: [] } }, introspectionHandling });
      return JSON.stringify({ data, errors: errors.map((e) => e.message) });
    };
    expect(shapeMissing(computeResponse)).toBe(shapeMissing(apollo));
  });

  it('builds objects with nothing inherited', () => {
    const { data } = computeResponse({ operation, variables: { withNote: true }, input: { orders: [order(1)], order: null, node: null, search: null, flag: false }, introspectionHandling });
    const objects = [data!, (data as any).orders[0], (data as any).orders[0].lines[0].product];
    for (const object of objects) {
      expect('constructor' in object).toBe(false);
      expect('toString' in object).toBe(false);
    }
  });
});

describe("the executor's Operation, kept per document (sharedOperations)", () => {
  const document = parse(QUERY);
  const [operationNode, ...fragments] = document.definitions;
  // As Apollo's executor calls it: a new document object around the same parsed nodes, every request.
  const asExecutor = (definitions = [operationNode, ...fragments]) => ({ kind: document.kind, definitions }) as typeof document;

  it('builds once for the same schema and definitions, and answers the same Operation', () => {
    let built = 0;
    const shared = sharedOperations((s, d, o) => (built++, operationFromDocument(s, d, o)));
    const first = shared(schema, asExecutor(), { validate: false });
    expect(shared(schema, asExecutor(), { validate: false }) === first).toBe(true);
    expect(built).toBe(1);
    // The kept Operation shapes as a fresh one does.
    const input = { orders: [order(1)], order: null, node: null, search: [], flag: true };
    const fresh = operationFromDocument(schema, asExecutor(), { validate: false });
    const shape = (op: Operation) => computeResponse({ operation: op, variables: { withNote: true }, input: JSON.parse(JSON.stringify(input)), introspectionHandling });
    expect(shape(first)).toEqual(shape(fresh));
  });

  it('builds anew for other definitions, another schema, or any call but the executor’s', () => {
    let built = 0;
    const shared = sharedOperations((s, d, o) => (built++, operationFromDocument(s, d, o)));
    const first = shared(schema, asExecutor(), { validate: false });
    // Identity by ===: vitest's toBe compares unequal objects deeply, and an Operation holds its whole schema.
    const again = [
      // The same operation node with its fragment parsed again (another document): other definitions.
      shared(schema, asExecutor([operationNode, ...parse(QUERY).definitions.slice(1)]), { validate: false }),
      shared(buildSchema(SDL), asExecutor(), { validate: false }),
      // Planning validates (and names the operation): never from the cache.
      shared(schema, asExecutor(), { validate: true }),
      shared(schema, asExecutor(), { operationName: 'Q', validate: false }),
    ];
    expect(again.map((op) => op === first)).toEqual([false, false, false, false]);
    expect(built).toBe(5);
  });

  it('is what the gateway runs once Meshgate installs its result shaping', () => {
    expect(installResultShaping()).toBe(true);
    const fromIndex = () => operationFromDocument(schema, asExecutor(), { validate: false });
    expect(fromIndex() === fromIndex()).toBe(true);
  });
});
