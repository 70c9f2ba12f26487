import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ApolloGateway } from '@apollo/gateway';
import { composeServices } from '@apollo/composition';
import { GraphQLInterfaceType, GraphQLObjectType, isIntrospectionType, parse, print, printSchema, type GraphQLSchema } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSupergraph } from '../../cli/commands/gateway';
import { composeFromConfig, composeSupergraph, loadSubgraphSchemas, type SubgraphSchema } from '../../gateway/compose';
import { loadConfig } from '../../gateway/config';
import { checkGovernance, type GovernedSubgraph } from '../../gateway/governance/checks';
import { classificationOf, readClassifications, scanSupergraph } from '../../gateway/governance/classification-map';
import { expandClassification } from '../../gateway/governance/expand-classification';
import { lookupOwner } from '../../gateway/governance/owner';
import { namesPersonalData } from '../../gateway/governance/personal-data';
import { checkSupergraphClassification } from '../../gateway/governance/supergraph-check';
import { CLASSIFICATION_SPEC_URL, CLASSIFIED_DIRECTIVE_SDL, LEVELS, PERSONAL_DATA_CATEGORIES } from '../../shared/classification';
import { ERROR_CODES, MeshgateError } from '../../shared/errors';
import { domains } from '../../subgraphs';
import { cli } from '../support/cli';
import { asDataProduct, fixtureDescriptor } from '../support/data-product';

const root = path.resolve(__dirname, '../..');

/** A subgraph SDL with the classification header every domain uses. */
function subgraphSdl(body: string): string {
  return [
    'extend schema',
    '  @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key", "@shareable", "@external", "@composeDirective"])',
    `  @link(url: "${CLASSIFICATION_SPEC_URL}", import: ["@classified"])`,
    '  @composeDirective(name: "@classified")',
    CLASSIFIED_DIRECTIVE_SDL,
    body,
  ].join('\n');
}
/** Lines of the header above, so tests can name the line a body line lands on. */
const HEADER_LINES = 5;

const owner = { team: 'Test Team', contact: 'test@meshgate.example' };
// The classification fixtures have inline owners and no descriptor: the MISSING_DESCRIPTOR each
// gets is left out here (test/unit/descriptor.test.ts tests it), and composed() makes them data products.
const governance = (input: Parameters<typeof checkGovernance>[0]) => checkGovernance(input).filter((p) => p.code !== 'MISSING_DESCRIPTOR');

function subgraph(name: string, body: string, extra: Pick<GovernedSubgraph, 'descriptor' | 'owner'> = { owner }): SubgraphSchema {
  return { name, routingUrl: `http://127.0.0.1:1/${name}`, origin: `${name}.graphql`, sdl: subgraphSdl(body), ...extra };
}

function composed(subgraphs: SubgraphSchema[]): string {
  const result = composeSupergraph(subgraphs.map(asDataProduct));
  if (!result.ok) throw new Error(JSON.stringify(result.problems, null, 2));
  return result.supergraphSdl;
}

describe('expandClassification', () => {
  const sdl = subgraphSdl(`
type Query @classified(level: "PUBLIC") {
  product(id: ID!): Product
  orders: [Order!]! @classified(level: "INTERNAL")
}
type Product @key(fields: "id") @classified(level: "PUBLIC") {
  id: ID!
  name: String!
  cost: Float! @classified(level: "CONFIDENTIAL")
  supplierName: String @external
}
extend type Product {
  stock: Int!
}
type Order @classified(level: "INTERNAL") @classified(level: "CONFIDENTIAL") {
  id: ID!
}
type Unclassified {
  free: String
}`);

  it('pushes each type default onto every field without its own, over definition and extensions, and drops the type-level application', () => {
    const out = print(expandClassification(parse(sdl)));
    expect(out).toContain('type Product @key(fields: "id") {');
    expect(out).toContain('type Query {');
    expect(out).toContain('id: ID! @classified(level: "PUBLIC")');
    expect(out).toContain('name: String! @classified(level: "PUBLIC")');
    expect(out).toContain('cost: Float! @classified(level: "CONFIDENTIAL")');
    expect(out).not.toMatch(/cost: Float! @classified\(level: "CONFIDENTIAL"\) @classified/);
    expect(out).toContain('stock: Int! @classified(level: "PUBLIC")'); // in `extend type Product`
    expect(out).toContain('product(id: ID!): Product @classified(level: "PUBLIC")');
    expect(out).toContain('orders: [Order!]! @classified(level: "INTERNAL")');
    expect(out).toContain('supplierName: String @external\n'); // classified by its owning subgraph
    // Repeated type-level applications are all copied; the strictest wins when read.
    expect(out).toContain('id: ID! @classified(level: "INTERNAL") @classified(level: "CONFIDENTIAL")');
    expect(out).toContain('free: String\n');
    // Every field that had a type default or its own application is now classified at field level.
    const fieldLines = out.split('\n').filter((l) => /^\s+\w+(\(.*\))?: /.test(l) && !l.includes('@external') && !l.includes('free:'));
    expect(fieldLines.every((l) => l.includes('@classified('))).toBe(true);
  });

  it('takes and returns SDL text too, and leaves a document without type defaults as it is', () => {
    expect(expandClassification(sdl)).toContain('name: String! @classified(level: "PUBLIC")');
    const plain = parse('type Query { a: String }');
    expect(expandClassification(plain)).toBe(plain);
  });

  it('follows a renamed import of the directive', () => {
    const renamed = `extend schema @link(url: "${CLASSIFICATION_SPEC_URL}", import: [{ name: "@classified", as: "@sensitivity" }])
type T @sensitivity(level: "INTERNAL") { a: String b: String @sensitivity(level: "PUBLIC") }`;
    expect(expandClassification(renamed)).toContain('a: String @sensitivity(level: "INTERNAL")\n  b: String @sensitivity(level: "PUBLIC")');
  });

  it('keeps each subgraph\'s default of a shared entity through composition, field by field', () => {
    const a = subgraph('alpha', 'type Query { products: [Product!]! @classified(level: "PUBLIC") } type Product @key(fields: "id") @classified(level: "PUBLIC") { id: ID! name: String }');
    const b = subgraph('beta', 'type Product @key(fields: "id") @classified(level: "CONFIDENTIAL") { id: ID! margin: Float }');
    // Without expansion (rover, someone else's tool) the type-level applications no longer say which
    // subgraph's fields they cover: alpha's PUBLIC Product.name reads as beta's CONFIDENTIAL.
    const raw = composeServices([a, b].map((s) => ({ name: s.name, url: s.routingUrl, typeDefs: parse(s.sdl as string) })));
    expect(raw.errors).toBeUndefined();
    expect(raw.supergraphSdl).not.toMatch(/name: String .*@classified/);
    expect(readClassifications(raw.supergraphSdl!).get('Product.name')).toEqual({ level: 'CONFIDENTIAL' });
    // Meshgate's composition expands first: every field keeps its subgraph's default, shared ones the strictest.
    const sdl = composed([a, b]);
    const map = readClassifications(sdl);
    expect(map.get('Product.name')).toEqual({ level: 'PUBLIC' });
    expect(map.get('Product.margin')).toEqual({ level: 'CONFIDENTIAL' });
    expect(map.get('Product.id')).toEqual({ level: 'CONFIDENTIAL' });
    expect(map.get('Query.products')).toEqual({ level: 'PUBLIC' });
    expect(scanSupergraph(sdl).fields.every((f) => !f.fromType)).toBe(true);
  });
});

describe('readClassifications / classificationOf', () => {
  it('reads field-level applications, the strictest of several, with the category of personal data', () => {
    const sdl = composed([
      subgraph('alpha', `type Query @classified(level: "INTERNAL") { customers: [Customer!]! }
type Customer @key(fields: "id") @classified(level: "INTERNAL") { id: ID! email: String @classified(level: "CONFIDENTIAL", category: "CONTACT") }`),
      subgraph('beta', `type Customer @key(fields: "id") @classified(level: "INTERNAL") { id: ID! @classified(level: "RESTRICTED") notes: String }`),
    ]);
    const map = readClassifications(sdl);
    expect(classificationOf(map, 'Customer', 'id')).toEqual({ level: 'RESTRICTED' });
    expect(classificationOf(map, 'Customer', 'email')).toEqual({ level: 'CONFIDENTIAL', category: 'CONTACT' });
    expect(classificationOf(map, 'Customer', 'notes')).toEqual({ level: 'INTERNAL' });
    expect(classificationOf(map, 'Query', 'customers')).toEqual({ level: 'INTERNAL' });
    expect(classificationOf(map, 'Customer', 'nope')).toBeUndefined();
    // Federation and link internals are not client data.
    expect([...map.keys()].filter((k) => /^(join__|link__|_Service|_Entity|_Any)/.test(k) || k.startsWith('Query._'))).toEqual([]);
    expect([...map.keys()].sort()).toEqual(['Customer.email', 'Customer.id', 'Customer.notes', 'Query.customers']);
  });

  it('falls back to a type-level application for fields without one (a supergraph composed by another tool), and reads interface fields', () => {
    const sdl = `schema @link(url: "https://specs.apollo.dev/link/v1.0") @link(url: "https://specs.apollo.dev/join/v0.4", for: EXECUTION) @link(url: "${CLASSIFICATION_SPEC_URL}", import: ["@classified"]) { query: Query }
${CLASSIFIED_DIRECTIVE_SDL}
directive @join__type(graph: join__Graph!, key: String) repeatable on OBJECT | INTERFACE
enum join__Graph { A @join__graph(name: "a", url: "http://a") }
scalar link__Import
type Query @join__type(graph: A) { node: Node @classified(level: "PUBLIC") mutation: Int }
interface Node @classified(level: "INTERNAL") { id: ID! secret: String @classified(level: "RESTRICTED") }
type Thing implements Node @join__type(graph: A) @classified(level: "CONFIDENTIAL") { id: ID! @classified(level: "PUBLIC") secret: String other: Int }`;
    const map = readClassifications(sdl);
    expect(map.get('Node.id')).toEqual({ level: 'INTERNAL' });
    expect(map.get('Node.secret')).toEqual({ level: 'RESTRICTED' });
    expect(map.get('Thing.id')).toEqual({ level: 'PUBLIC' });
    expect(map.get('Thing.other')).toEqual({ level: 'CONFIDENTIAL' });
    expect(map.get('Query.node')).toEqual({ level: 'PUBLIC' });
    expect(map.has('Query.mutation')).toBe(false);
    const scan = scanSupergraph(sdl);
    expect(scan.fields.find((f) => f.coordinate === 'Thing.other')).toMatchObject({ fromType: true, location: expect.stringMatching(/^supergraph\.graphql:8:\d+$/) });
  });

  it('leaves invalid applications out of the map and reports them from the scan', () => {
    const sdl = `${CLASSIFIED_DIRECTIVE_SDL}\ntype Query { a: String @classified(level: "SECRET") b: String @classified(level: "PUBLIC", category: "HEALTH") }`;
    expect(readClassifications(sdl).size).toBe(0);
    expect(scanSupergraph(sdl).invalid.map((i) => `${i.coordinate}: ${i.reason}`)).toEqual([
      `Query.a: level "SECRET" is not one of ${LEVELS.join(', ')}`,
      `Query.b: category "HEALTH" is not one of ${PERSONAL_DATA_CATEGORIES.join(', ')}`,
    ]);
  });
});

describe('checkGovernance', () => {
  it('UNCLASSIFIED_FIELD: every unclassified field of every subgraph, each at its file:line', () => {
    const problems = governance({
      subgraphs: [
        subgraph('alpha', 'type Query { a: String b: Int @classified(level: "PUBLIC") }\ntype T {\n  x: Int\n  y: Int\n}'),
        subgraph('beta', 'type Query @classified(level: "PUBLIC") { c: String }\ntype U { z: Int }'),
      ],
    });
    expect(problems.every((p) => p.code === 'UNCLASSIFIED_FIELD' && p.severity === 'error')).toBe(true);
    expect(problems.map((p) => p.coordinates[0])).toEqual(['Query.a', 'T.x', 'T.y', 'U.z']);
    expect(problems[0].message).toBe('Field "Query.a" in subgraph "alpha" has no classification: add @classified(level: …) to the field, or a default to type "Query"');
    expect(problems[0].locations).toEqual([`alpha.graphql:${HEADER_LINES + 1}:14`]);
    expect(problems[1].locations).toEqual([`alpha.graphql:${HEADER_LINES + 3}:3`]);
    expect(problems[3].message).toContain('"U.z" in subgraph "beta"');
  });

  it('with a policy default classification, unclassified fields are one warning per subgraph listing them, not errors', () => {
    const problems = governance({
      subgraphs: [subgraph('alpha', 'type Query { a: String b: Int @classified(level: "PUBLIC") }\ntype T { x: Int }')],
      defaultClassification: 'INTERNAL',
    });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ code: 'UNCLASSIFIED_FIELD', severity: 'warning', subgraph: 'alpha', coordinates: ['Query.a', 'T.x'] });
    expect(problems[0].message).toBe('2 field(s) of subgraph "alpha" have no classification and get the policy default INTERNAL: Query.a, T.x');
    expect(problems[0].locations).toEqual([`alpha.graphql:${HEADER_LINES + 1}:14`, `alpha.graphql:${HEADER_LINES + 2}:10`]);
    expect(checkGovernance({ subgraphs: [], defaultClassification: 'TOP' as never })[0]).toMatchObject({ code: 'INVALID_CLASSIFICATION' });
  });

  it('INVALID_CLASSIFICATION: unknown levels and categories, type-level ones reported once, at the directive', () => {
    const problems = governance({
      subgraphs: [
        subgraph(
          'alpha',
          'type Query @classified(level: "SECRET") {\n  a: String\n  b: String\n  c: String @classified(level: "CONFIDENTIAL", category: "HEALTH")\n  d: String @classified(level: "INTERNAL")\n}',
        ),
      ],
    });
    expect(problems.map((p) => [p.code, p.coordinates[0], p.locations[0]])).toEqual([
      ['INVALID_CLASSIFICATION', 'Query', `alpha.graphql:${HEADER_LINES + 1}:12`],
      ['INVALID_CLASSIFICATION', 'Query.c', `alpha.graphql:${HEADER_LINES + 4}:13`],
    ]);
    expect(problems[0].message).toBe(`@classified on type "Query" in subgraph "alpha": level "SECRET" is not one of ${LEVELS.join(', ')}`);
    expect(problems[1].message).toContain(`category "HEALTH" is not one of ${PERSONAL_DATA_CATEGORIES.join(', ')}`);
  });

  it('PERSONAL_DATA_WITHOUT_CATEGORY: fields named as personal data at CONFIDENTIAL or above need a category', () => {
    const problems = governance({
      subgraphs: [
        subgraph(
          'alpha',
          `type Query @classified(level: "INTERNAL") { people: [Person!]! }
type Person @classified(level: "CONFIDENTIAL") {
  email: String
  homePhone: String @classified(level: "RESTRICTED")
  birthDate: String @classified(level: "RESTRICTED", category: "IDENTITY")
  firstName: String @classified(level: "CONFIDENTIAL", category: "IDENTITY")
  lastName: String @classified(level: "INTERNAL")
  deliveryAddress: String
  nickname: String
  name: String
}`,
        ),
      ],
    });
    expect(problems.map((p) => p.coordinates[0])).toEqual(['Person.email', 'Person.homePhone', 'Person.deliveryAddress']);
    expect(problems.every((p) => p.code === 'PERSONAL_DATA_WITHOUT_CATEGORY')).toBe(true);
    expect(problems[1].message).toBe(
      `Field "Person.homePhone" in subgraph "alpha" is RESTRICTED and its name says personal data, but it has no category: add category: one of ${PERSONAL_DATA_CATEGORIES.join(', ')}`,
    );
    expect(problems[1].locations).toEqual([`alpha.graphql:${HEADER_LINES + 4}:3`]);
  });

  it('the personal-data names are precise', () => {
    for (const name of ['email', 'phone', 'fax', 'homePhone', 'contactEmail', 'emailAddress', 'address', 'deliveryAddress', 'street', 'birthDate', 'birthday', 'firstName', 'lastName', 'contactName', 'dateOfBirth', 'phoneNumber', 'first_name', 'mobile']) {
      expect(namesPersonalData(name), name).toBe(true);
    }
    for (const name of ['name', 'companyName', 'contactTitle', 'city', 'country', 'postalCode', 'emailVerified', 'phoneCount', 'addressee', 'title', 'body']) {
      expect(namesPersonalData(name), name).toBe(false);
    }
  });

  it('MISSING_OWNER: every subgraph without a readable owner, saying why, at the descriptor', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'meshgate-owner-'));
    try {
      fs.writeFileSync(path.join(dir, 'ok.yaml'), 'name: ok\nowner:\n  team: Team\n  contact: team@example.com\n');
      fs.writeFileSync(path.join(dir, 'half.yaml'), 'name: half\nowner:\n  team: Team\n');
      fs.writeFileSync(path.join(dir, 'none.yaml'), 'name: none\n');
      fs.writeFileSync(path.join(dir, 'broken.yaml'), 'owner: [\n');
      const body = 'type Query @classified(level: "PUBLIC") { a: String }';
      const problems = governance({
        subgraphs: [
          subgraph('ok', body, { descriptor: path.join(dir, 'ok.yaml') }),
          subgraph('inline', body, { owner }),
          subgraph('inline-wins', body, { owner, descriptor: path.join(dir, 'missing.yaml') }),
          subgraph('nothing', body, {}),
          subgraph('missing', body, { descriptor: path.join(dir, 'missing.yaml') }),
          subgraph('half', body, { descriptor: path.join(dir, 'half.yaml') }),
          subgraph('none', body, { descriptor: path.join(dir, 'none.yaml') }),
          subgraph('broken', body, { descriptor: path.join(dir, 'broken.yaml') }),
          subgraph('half-inline', body, { owner: { team: 'T' } }),
        ],
        // The rest of each descriptor, and documentation, are test/unit/descriptor.test.ts's to check.
      }).filter((p) => p.code === 'MISSING_OWNER');
      expect(problems.every((p) => p.code === 'MISSING_OWNER')).toBe(true);
      expect(problems.map((p) => p.subgraph)).toEqual(['nothing', 'missing', 'half', 'none', 'broken', 'half-inline']);
      const rel = (f: string) => path.relative(process.cwd(), path.join(dir, f));
      expect(problems[0].message).toMatch(/^Subgraph "nothing" has no owner: it has no descriptor \(data-product\.yaml\) and it has no inline owner\./);
      expect(problems[0].locations).toEqual(['nothing.graphql']);
      expect(problems[1].message).toContain(`its descriptor ${rel('missing.yaml')} cannot be read (ENOENT) and it has no inline owner`);
      expect(problems[2].message).toContain(`its descriptor ${rel('half.yaml')} lacks owner.contact`);
      expect(problems[2].locations).toEqual([`${rel('half.yaml')}:3:3`]);
      expect(problems[3].message).toContain('lacks an owner (owner.team and owner.contact)');
      expect(problems[4].message).toContain('is not valid YAML');
      expect(problems[5].message).toContain('its inline owner lacks contact');
      expect(lookupOwner({ name: 'ok', descriptor: path.join(dir, 'ok.yaml') })).toEqual({ ok: true, owner: { team: 'Team', contact: 'team@example.com' }, source: 'descriptor' });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('every descriptor of the demo mesh names its owner', () => {
    for (const s of loadConfig(path.join(root, 'supergraph.yaml')).subgraphs) {
      expect(s.descriptor).toBe(path.join(root, 'subgraphs', s.name, 'data-product.yaml'));
      expect(lookupOwner(s)).toMatchObject({ ok: true, source: 'descriptor', owner: { team: expect.any(String), contact: expect.stringContaining('@') } });
    }
  });
});

describe('composeSupergraph governs', () => {
  it('fails with GOVERNANCE_FAILED listing every governance problem, and composition problems beside them', () => {
    const result = composeSupergraph([
      subgraph('alpha', 'type Query { a: String }', {}),
      subgraph('beta', 'type Query @classified(level: "PUBLIC") { b: String email: String @classified(level: "CONFIDENTIAL") }'),
    ]);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.code).toBe('GOVERNANCE_FAILED');
    // An inline owner (beta) does not stand in for the descriptor.
    expect(result.problems.map((p) => [p.code, p.message.match(/"(alpha|beta)/)?.[1]])).toEqual([
      ['MISSING_OWNER', 'alpha'],
      ['UNCLASSIFIED_FIELD', 'alpha'],
      ['MISSING_DESCRIPTOR', 'alpha'],
      ['PERSONAL_DATA_WITHOUT_CATEGORY', 'beta'],
      ['MISSING_DESCRIPTOR', 'beta'],
    ]);
    const mixed = composeSupergraph([subgraph('alpha', 'type Query { a: String }'), subgraph('beta', 'type Query { a: Int }')]);
    expect(mixed.ok || mixed.code).toBe('COMPOSITION_FAILED');
    expect(mixed.ok || mixed.problems.map((p) => p.code)).toEqual(expect.arrayContaining(['UNCLASSIFIED_FIELD']));
  });

  it('composeFromConfig throws GOVERNANCE_FAILED; with a default classification it composes and reports the defaulted fields', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'meshgate-gov-'));
    try {
      fs.writeFileSync(path.join(dir, 'a.graphql'), 'type Query {\n  "A greeting."\n  hello: String\n}\n');
      // Its descriptor beside the schema file; the inline owner stands in for the descriptor's.
      fs.copyFileSync(fixtureDescriptor('alpha', { owner: false }), path.join(dir, 'data-product.yaml'));
      const config = { name: 'alpha', routingUrl: 'http://127.0.0.1:1/graphql', schema: { file: path.join(dir, 'a.graphql') }, owner };
      const err = await composeFromConfig([config]).catch((e) => e);
      expect(err).toBeInstanceOf(MeshgateError);
      expect(err.code).toBe('GOVERNANCE_FAILED');
      expect(err.message).toContain('UNCLASSIFIED_FIELD: Field "Query.hello" in subgraph "alpha" has no classification');
      expect(ERROR_CODES.GOVERNANCE_FAILED).toEqual(expect.any(String));
      const warnings: string[] = [];
      const sdl = await composeFromConfig([config], { defaultClassification: 'INTERNAL', onWarning: (w) => warnings.push(w.message) });
      expect(sdl).toContain('hello: String');
      expect(warnings).toEqual(['1 field(s) of subgraph "alpha" have no classification and get the policy default INTERNAL: Query.hello']);
      // A schema file without a descriptor in the config gets the data-product.yaml beside it, inline owner or not.
      const loaded = await loadSubgraphSchemas([config, { ...config, owner: undefined }]);
      expect(loaded.map((s) => s.descriptor)).toEqual([path.join(dir, 'data-product.yaml'), path.join(dir, 'data-product.yaml')]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the demo mesh supergraph', () => {
  let supergraphSdl: string;
  let apiSchema: GraphQLSchema;
  let gateway: ApolloGateway;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'meshgate-demo-'));

  beforeAll(async () => {
    const result = composeSupergraph(await loadSubgraphSchemas(loadConfig(path.join(root, 'supergraph.yaml')).subgraphs));
    if (!result.ok) throw new Error(JSON.stringify(result.problems, null, 2));
    expect(result.warnings).toEqual([]);
    supergraphSdl = result.supergraphSdl;
    gateway = new ApolloGateway({ supergraphSdl });
    apiSchema = (await gateway.load()).schema;
  });
  afterAll(async () => {
    await gateway?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('classifies every field of every object and interface type of the client-visible API schema', () => {
    const map = readClassifications(supergraphSdl);
    const missing: string[] = [];
    let count = 0;
    for (const type of Object.values(apiSchema.getTypeMap())) {
      if (isIntrospectionType(type) || !(type instanceof GraphQLObjectType || type instanceof GraphQLInterfaceType)) continue;
      for (const field of Object.keys(type.getFields())) {
        count++;
        if (!classificationOf(map, type.name, field)) missing.push(`${type.name}.${field}`);
      }
    }
    expect(missing).toEqual([]);
    expect(count).toBeGreaterThan(200);
    expect(checkSupergraphClassification(supergraphSdl)).toEqual([]);
    expect(scanSupergraph(supergraphSdl).fields.every((f) => !f.fromType)).toBe(true); // defaults were expanded
    expect(supergraphSdl).not.toMatch(/^type \w+[^{]*@classified/m);
  });

  it('declares what the data office decided', () => {
    const map = readClassifications(supergraphSdl);
    const c = (coordinate: string) => map.get(coordinate);
    expect(c('Product.name')).toEqual({ level: 'PUBLIC' });
    expect(c('Product.id')).toEqual({ level: 'PUBLIC' });
    expect(c('Product.stockLevels')).toEqual({ level: 'INTERNAL' });
    expect(c('Product.salesStats')).toEqual({ level: 'CONFIDENTIAL' });
    expect(c('Availability.status')).toEqual({ level: 'PUBLIC' });
    expect(c('Availability.onHand')).toEqual({ level: 'INTERNAL' });
    expect(c('Supplier.companyName')).toEqual({ level: 'INTERNAL' });
    expect(c('Supplier.contactName')).toEqual({ level: 'CONFIDENTIAL', category: 'CONTACT' });
    expect(c('Customer.companyName')).toEqual({ level: 'INTERNAL' });
    for (const f of ['contactName', 'email', 'phone', 'address']) expect(c(`Customer.${f}`)).toEqual({ level: 'CONFIDENTIAL', category: 'CONTACT' });
    expect(c('CustomerSalesSummary.revenue')).toEqual({ level: 'CONFIDENTIAL' });
    expect(c('ProductSalesStats.revenue')).toEqual({ level: 'CONFIDENTIAL' });
    expect(c('SalesRep.firstName')).toEqual({ level: 'CONFIDENTIAL', category: 'IDENTITY' });
    expect(c('SalesRep.birthDate')).toEqual({ level: 'RESTRICTED', category: 'IDENTITY' });
    expect(c('SalesRep.homePhone')).toEqual({ level: 'RESTRICTED', category: 'CONTACT' });
    expect(c('Order.total')).toEqual({ level: 'INTERNAL' });
    expect(c('Shipment.deliveryAddress')).toEqual({ level: 'CONFIDENTIAL', category: 'LOCATION' });
    expect(c('PostalAddress.street')?.level).toBe('CONFIDENTIAL'); // shared value type: the strictest subgraph wins
    expect(c('Review.rating')).toEqual({ level: 'PUBLIC' });
    expect(c('Review.body')).toEqual({ level: 'CONFIDENTIAL', category: 'FREE_TEXT' });
    expect(c('SupportTicket.subject')).toEqual({ level: 'CONFIDENTIAL', category: 'FREE_TEXT' });
    expect(c('SupportTicket.satisfactionScore')).toEqual({ level: 'INTERNAL' });
    expect(c('Query.products')).toEqual({ level: 'PUBLIC' });
    expect(c('Query.customers')).toEqual({ level: 'INTERNAL' });
  });

  it('keeps the classification vocabulary out of the client-visible API schema', () => {
    const printed = printSchema(apiSchema);
    expect(printed).not.toMatch(/classified|Classification/i);
    for (const word of [...LEVELS, ...PERSONAL_DATA_CATEGORIES]) expect(printed).not.toMatch(new RegExp(`\\b${word}\\b`));
    expect(apiSchema.getDirective('classified')).toBeUndefined();
  });

  it('every domain declares the directive exactly as shared/classification.ts does', () => {
    for (const d of Object.values(domains)) {
      const sdl = fs.readFileSync(d.schemaFile, 'utf8');
      expect(sdl).toContain(CLASSIFIED_DIRECTIVE_SDL);
      expect(sdl).toContain(`@link(url: "${CLASSIFICATION_SPEC_URL}", import: ["@classified"])`);
      expect(sdl).toContain('@composeDirective(name: "@classified")');
    }
  });

  it('`meshgate compose` passes for the demo mesh; `gateway --supergraph` loads it', async () => {
    const output = path.join(dir, 'supergraph.graphql');
    const res = await cli('compose', '--config', path.join(root, 'supergraph.yaml'), '--output', output);
    expect(res.err).toBe('');
    expect(res.code).toBe(0);
    expect(res.out).toContain('composed 4 subgraphs');
    expect(await loadSupergraph({ supergraph: output })).toBe(fs.readFileSync(output, 'utf8'));
  });
});

describe('`meshgate compose` and `gateway --supergraph` fail with every offender', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'meshgate-govcli-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('lists every unclassified field and every subgraph without owner, exit 1, nothing written', async () => {
    fs.mkdirSync(path.join(dir, 'a'));
    fs.mkdirSync(path.join(dir, 'b'));
    // Documented on the same lines, so the lines the problems name stay put; alpha's descriptor complete.
    fs.writeFileSync(path.join(dir, 'a', 'schema.graphql'), subgraphSdl('type Query @classified(level: "PUBLIC") {\n  "A." a: String\n}\n"A thing." type Thing {\n  "Size." size: Int\n  "Colour." colour: String @classified(level: "PUBLIC")\n}'));
    fs.writeFileSync(
      path.join(dir, 'a', 'data-product.yaml'),
      'name: alpha\ndescription: A.\nversion: 1.0.0\nserviceLevels: { freshness: 1h, availability: "99%" }\ntags: [a]\nowner:\n  team: A\n  contact: a@example.com\n',
    );
    fs.writeFileSync(path.join(dir, 'b', 'schema.graphql'), subgraphSdl('type Query {\n  "B." b: Int\n  "C." c: Int\n}'));
    fs.writeFileSync(
      path.join(dir, 'gov.yaml'),
      'subgraphs:\n  alpha:\n    routing_url: http://127.0.0.1:1/graphql\n    schema: { file: a/schema.graphql }\n  beta:\n    routing_url: http://127.0.0.1:2/graphql\n    schema: { file: b/schema.graphql }\n',
    );
    const output = path.join(dir, 'never.graphql');
    const res = await cli('compose', '--config', path.join(dir, 'gov.yaml'), '--output', output);
    expect(res.code).toBe(1);
    expect(res.err).toContain(`GOVERNANCE_FAILED: 4 problem(s) composing ${path.join(dir, 'gov.yaml')}:`);
    expect(res.err).toContain('1. UNCLASSIFIED_FIELD: Field "Thing.size" in subgraph "alpha" has no classification');
    expect(res.err).toMatch(new RegExp(`a/schema\\.graphql:${HEADER_LINES + 5}:3`));
    expect(res.err).toMatch(/2\. MISSING_OWNER: Subgraph "beta" has no owner: its descriptor .*b\/data-product\.yaml cannot be read \(ENOENT\)/);
    expect(res.err).toContain('3. UNCLASSIFIED_FIELD: Field "Query.b" in subgraph "beta"');
    expect(res.err).toContain('4. UNCLASSIFIED_FIELD: Field "Query.c" in subgraph "beta"');
    expect(res.err).not.toMatch(/\n\s+at .*\(/); // no stack trace
    expect(fs.existsSync(output)).toBe(false);

    const defaulted = await cli('compose', '--config', path.join(dir, 'gov.yaml'), '--output', output, '--default-classification', 'INTERNAL');
    expect(defaulted.code).toBe(1); // the owner is still missing
    expect(defaulted.err).toContain('GOVERNANCE_FAILED: 1 problem(s)');
    expect(defaulted.err).toContain('MISSING_OWNER');
    const bad = await cli('compose', '--config', path.join(dir, 'gov.yaml'), '--default-classification', 'SECRET');
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('--default-classification must be one of PUBLIC, INTERNAL, CONFIDENTIAL, RESTRICTED');
  });

  it('`gateway --supergraph` refuses an unclassified supergraph with GOVERNANCE_FAILED, unless a default classification is given', async () => {
    const file = path.join(dir, 'plain.graphql');
    const plain = composeServices([
      { name: 'x', url: 'http://127.0.0.1:1/graphql', typeDefs: parse('extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key"])\ntype Query { me: User }\ntype User @key(fields: "id") { id: ID! name: String }') },
    ]);
    fs.writeFileSync(file, plain.supergraphSdl!);
    const err = await loadSupergraph({ supergraph: file }).catch((e) => e);
    expect(err).toBeInstanceOf(MeshgateError);
    expect(err.code).toBe('GOVERNANCE_FAILED');
    for (const f of ['Query.me', 'User.id', 'User.name']) expect(err.message).toContain(`UNCLASSIFIED_FIELD: Field "${f}" of the supergraph has no classification`);
    expect(err.message).toMatch(/plain\.graphql:\d+:\d+/);
    const res = await cli('gateway', '--supergraph', file, '--port', '0');
    expect(res.code).toBe(1);
    expect(res.err).toContain('meshgate gateway: GOVERNANCE_FAILED: supergraph');
    const problems = checkSupergraphClassification(plain.supergraphSdl!, { defaultClassification: 'INTERNAL' });
    expect(problems).toEqual([expect.objectContaining({ code: 'UNCLASSIFIED_FIELD', severity: 'warning', coordinates: ['Query.me', 'User.id', 'User.name'] })]);
    const notSupergraph = path.join(dir, 'not.graphql');
    fs.writeFileSync(notSupergraph, 'type Query { a: String }');
    await expect(loadSupergraph({ supergraph: notSupergraph })).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
  });
});
