import { buildSchema } from 'graphql';
import { describe, expect, it } from 'vitest';
import { coordinatesOf, schemaChanges } from '../../gateway/checks/breaking-changes';

// Which recorded fields (`Type.field`, as the audit trail keeps them) each kind of breaking change
// reaches: the check asks the audit trail about exactly these.

const CURRENT = `
interface Node { id: ID! label: String }
type Product implements Node { id: ID! label: String price(currency: String): Float status: Status }
type Service implements Node { id: ID! label: String }
union Result = Product | Service
enum Status { ACTIVE RETIRED }
input Filter { q: String status: Status range: Range }
input Range { min: Int max: Int }
type Query {
  products(filter: Filter): [Product!]!
  search: [Result!]!
  node(id: ID!): Node
  byStatus(status: Status): [Product!]!
  services: [Service!]!
}`;

/** The changes from CURRENT to CURRENT with `from` replaced by `to`; `from` must be there. */
async function changesFor(from: string, to: string) {
  expect(CURRENT).toContain(from);
  return schemaChanges(buildSchema(CURRENT), buildSchema(CURRENT.replace(from, to)));
}

describe('schemaChanges: the fields a breaking change reaches', () => {
  it('a new required argument: the field it is added to', async () => {
    expect(await changesFor('price(currency: String)', 'price(currency: String, precision: Int!)')).toEqual([
      {
        criticality: 'BREAKING',
        type: 'FIELD_ARGUMENT_ADDED',
        message: "Argument 'precision: Int!' added to field 'Product.price'",
        path: 'Product.price.precision',
        coordinates: ['Product.price'],
      },
    ]);
  });

  it('an input field whose type changed: every field taking that input, through nested inputs', async () => {
    const [change] = await changesFor('input Range { min: Int', 'input Range { min: Float');
    expect(change).toMatchObject({ criticality: 'BREAKING', type: 'INPUT_FIELD_TYPE_CHANGED', path: 'Range.min', coordinates: ['Query.products'] });
  });

  it('a removed enum value: the fields returning the enum and those taking it, directly or inside an input', async () => {
    const [change] = await changesFor('enum Status { ACTIVE RETIRED }', 'enum Status { ACTIVE }');
    expect(change).toMatchObject({ criticality: 'BREAKING', type: 'ENUM_VALUE_REMOVED', path: 'Status.RETIRED', coordinates: ['Product.status', 'Query.byStatus', 'Query.products'] });
  });

  it('a field removed from an interface: the interface field and each implementation, where the trail records interface selections', async () => {
    const [change] = await changesFor('interface Node { id: ID! label: String }', 'interface Node { id: ID! }');
    expect(change).toMatchObject({ criticality: 'BREAKING', type: 'FIELD_REMOVED', path: 'Node.label', coordinates: ['Node.label', 'Product.label', 'Service.label'] });
  });

  it('a member removed from a union: the fields returning the union', async () => {
    const [change] = await changesFor('union Result = Product | Service', 'union Result = Product');
    expect(change).toMatchObject({ criticality: 'BREAKING', type: 'UNION_MEMBER_REMOVED', path: 'Result', coordinates: ['Query.search'] });
  });

  it('a changed field type: that field only', async () => {
    const [change] = await changesFor('price(currency: String): Float', 'price(currency: String): String');
    expect(change).toMatchObject({ criticality: 'BREAKING', type: 'FIELD_TYPE_CHANGED', path: 'Product.price', coordinates: ['Product.price'] });
  });

  it('safe changes reach nothing, and neither does a type that is new', async () => {
    const changes = await changesFor('services: [Service!]!\n}', 'services: [Service!]!\n  extra: Extra\n}\ntype Extra { a: Int }');
    expect(changes.length).toBeGreaterThan(0);
    expect(changes.every((c) => c.criticality === 'NON_BREAKING' && c.coordinates.length === 0)).toBe(true);
    expect(coordinatesOf(buildSchema(CURRENT), 'Extra.a')).toEqual([]);
  });
});
