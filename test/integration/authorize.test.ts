import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import { composeServices } from '@apollo/composition';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { parse } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { catalogSource } from '../../gateway/authorization/catalog';
import { useAuthorize, type AuthorizationMode } from '../../gateway/plugins/authorize';
import { useMask } from '../../gateway/plugins/mask';
import type { MeshgatePlugin } from '../../gateway/plugins/types';
import { createGateway, type MeshgateGateway } from '../../gateway/server';
import type { FieldInfo, Policy } from '../../policies/types';
import { levelRank, type Classification } from '../../shared/classification';
import { ANONYMOUS } from '../../shared/principal';
import { postGraphql } from '../support/subgraph';

// The enforcement mechanics, on a subgraph with an interface, a union and a non-null restricted
// field. The policy here is a deliberately small stand-in with an obvious table, so each expected
// outcome can be read off it; the real policy has its own tests and a role × field matrix.
const typeDefs = parse(`extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key"])
  interface Person { id: ID! name: String email: String }
  type Employee implements Person @key(fields: "id") { id: ID! name: String email: String salary: Int ssn: String badge: String! }
  type Customer implements Person @key(fields: "id") { id: ID! name: String email: String }
  union SearchResult = Employee | Customer
  type Query { people: [Person!]! employees: [Employee!]! employee(id: ID!): Employee search: [SearchResult!]! }`);
const employees = [
  { __typename: 'Employee', id: 'e1', name: 'Ada Lovelace', email: 'ada@corp.example', salary: 100, ssn: '123-45-6789', badge: 'B-1' },
  { __typename: 'Employee', id: 'e2', name: 'Alan Turing', email: 'alan@corp.example', salary: 120, ssn: '987-65-4321', badge: 'B-2' },
];
const customers = [{ __typename: 'Customer', id: 'c1', name: 'Grace Hopper', email: 'grace@shop.example' }];

const classifications = new Map<string, Classification>([
  ['Query.people', { level: 'PUBLIC' }],
  ['Query.employees', { level: 'PUBLIC' }],
  ['Query.employee', { level: 'PUBLIC' }],
  ['Query.search', { level: 'PUBLIC' }],
  ...['Person', 'Employee', 'Customer'].flatMap((t) => [
    [`${t}.id`, { level: 'PUBLIC' }],
    [`${t}.name`, { level: 'INTERNAL' }],
    [`${t}.email`, { level: 'CONFIDENTIAL', category: 'CONTACT' }],
  ] as [string, Classification][]),
  ['Employee.salary', { level: 'RESTRICTED', category: 'FINANCIAL' }],
  ['Employee.ssn', { level: 'RESTRICTED', category: 'IDENTITY' }],
  ['Employee.badge', { level: 'RESTRICTED' }],
]);

/** admin: everything; analyst: up to INTERNAL, CONFIDENTIAL personal data masked; anonymous: PUBLIC. */
const policy: Policy = {
  anonymous: 'allow',
  readsArguments: false,
  async decide(principal, field: FieldInfo) {
    const rank = levelRank(field.classification.level);
    if (principal.roles.includes('admin')) return { decision: 'allow', reason: 'admin' };
    if (principal.roles.includes('analyst')) {
      if (rank <= levelRank('INTERNAL')) return { decision: 'allow', reason: 'clearance' };
      if (rank === levelRank('CONFIDENTIAL') && field.classification.category) return { decision: 'mask', reason: 'personal-data-masked' };
      return { decision: 'deny', reason: 'clearance' };
    }
    return rank === 0 ? { decision: 'allow', reason: 'public' } : { decision: 'deny', reason: 'anonymous' };
  },
  mask: (_field, value) => (typeof value === 'string' ? `${value[0]}***` : null),
  principalKey: (p) => p.roles.slice().sort().join(','),
};

/** Test-only authentication: roles from a header, so the enforcement can be exercised alone. */
const rolesFromHeader: MeshgatePlugin = {
  name: 'test-roles',
  prepareContext(req, context) {
    const roles = String(req.headers['x-test-roles'] ?? '').split(',').filter(Boolean);
    context.principal = roles.length ? { ...ANONYMOUS, subject: 'tester', roles } : ANONYMOUS;
  },
};

describe.each<AuthorizationMode>(['enforce', 'strict', 'dry-run'])('gateway authorization in %s mode', (mode) => {
  const received: string[] = [];
  let subgraph: ApolloServer;
  let gateway: MeshgateGateway;
  let url: string;
  const ask = (query: string, roles: string, variables?: Record<string, unknown>) =>
    postGraphql(`${url}/graphql`, query, variables, roles ? { 'x-test-roles': roles } : {});

  beforeAll(async () => {
    const record: ApolloServerPlugin = { requestDidStart: async (rc) => void received.push(rc.request.query ?? '') };
    subgraph = new ApolloServer({
      schema: buildSubgraphSchema({
        typeDefs,
        resolvers: {
          Query: { people: () => [...employees, ...customers], employees: () => employees, employee: (_: unknown, a: { id: string }) => employees.find((e) => e.id === a.id), search: () => [...employees, ...customers] },
          Person: { __resolveType: (p: { __typename: string }) => p.__typename },
          SearchResult: { __resolveType: (p: { __typename: string }) => p.__typename },
          Employee: { __resolveReference: (r: { id: string }) => employees.find((e) => e.id === r.id) },
        } as any,
      }),
      plugins: [record],
    });
    const { url: subgraphUrl } = await startStandaloneServer(subgraph, { listen: { port: 0, host: '127.0.0.1' } });
    const composed = composeServices([{ name: 'people', typeDefs, url: subgraphUrl }]);
    if (composed.errors) throw composed.errors[0];
    gateway = await createGateway({
      supergraphSdl: composed.supergraphSdl!,
      plugins: [rolesFromHeader, useAuthorize({ policy, mode, catalogOf: catalogSource(() => classifications) }), useMask({ policy })],
    });
    url = await gateway.listen(0);
  });
  afterAll(async () => {
    await gateway?.stop();
    await subgraph?.stop();
  });

  const sentSince = (mark: number) => received.slice(mark).join('\n');

  it('serves a principal everything it may read, untouched', async () => {
    const res = await ask('{ employees { id name email salary ssn badge } }', 'admin');
    expect(res).toEqual({ data: { employees: employees.map(({ __typename, ...e }) => e) } });
  });

  if (mode === 'enforce') {
    it('removes denied fields before any subgraph sees them, with null data and FORBIDDEN errors at their paths', async () => {
      const mark = received.length;
      const res = await ask('{ employees { id name salary ssn } }', 'analyst');
      expect(res.data).toEqual({ employees: employees.map((e) => ({ id: e.id, name: e.name, salary: null, ssn: null })) });
      expect(res.errors).toEqual([
        { message: 'Not authorized to read Employee.salary', path: ['employees', '@', 'salary'], extensions: { code: 'FORBIDDEN', coordinate: 'Employee.salary', reason: 'clearance' } },
        { message: 'Not authorized to read Employee.ssn', path: ['employees', '@', 'ssn'], extensions: { code: 'FORBIDDEN', coordinate: 'Employee.ssn', reason: 'clearance' } },
      ]);
      const sent = sentSince(mark);
      expect(sent).toContain('name');
      expect(sent).not.toMatch(/salary|ssn/);
    });

    it('masks personal data under every alias, fragment and interface selection', async () => {
      const res = await ask(
        `{ employees { e: email email other: email } people { ...P ... on Employee { mail: email } } search { ... on Customer { email } } }
         fragment P on Person { email }`,
        'analyst',
      );
      expect(res.errors).toBeUndefined();
      for (const e of res.data.employees) expect([e.e, e.email, e.other].every((v: string) => /^.\*\*\*$/.test(v))).toBe(true);
      for (const p of res.data.people) {
        expect(p.email).toMatch(/^.\*\*\*$/);
        if ('mail' in p) expect(p.mail).toMatch(/^.\*\*\*$/);
      }
      expect(res.data.search.filter((s: any) => 'email' in s).map((s: any) => s.email)).toEqual(['g***']);
      expect(JSON.stringify(res.data)).not.toMatch(/@(corp|shop)\.example/);
    });

    it('decides a field selected through an interface for every implementation', async () => {
      const mark = received.length;
      const res = await ask('{ people { id ... on Employee { ssn } ... on Person { name } } }', 'analyst');
      expect(res.errors?.map((e) => e.extensions.coordinate)).toEqual(['Employee.ssn']);
      expect(res.data.people.filter((p: any) => 'ssn' in p).every((p: any) => p.ssn === null)).toBe(true);
      expect(sentSince(mark)).not.toContain('ssn');
    });

    it('puts null on the nearest nullable parent when a non-null field is denied', async () => {
      const res = await ask('{ employee(id: "e1") { id badge } }', 'analyst');
      expect(res.data).toEqual({ employee: null });
      expect(res.errors?.[0]).toMatchObject({ path: ['employee', 'badge'], extensions: { code: 'FORBIDDEN' } });
    });

    it('lets @include variables neither bypass nor poison the decision cache', async () => {
      const query = 'query($x: Boolean!) { employees { id ssn @include(if: $x) } }';
      expect(await ask(query, 'analyst', { x: false })).toEqual({ data: { employees: [{ id: 'e1' }, { id: 'e2' }] } });
      const included = await ask(query, 'analyst', { x: true });
      expect(included.errors?.[0].extensions.coordinate).toBe('Employee.ssn');
      expect(included.data.employees[0].ssn).toBeNull();
      expect((await ask(query, 'admin', { x: true })).data.employees[0].ssn).toBe('123-45-6789');
    });

    it('gives each principal its own plan for the same operation', async () => {
      const query = '{ employees { id salary } }';
      const [analyst, admin, anonymous] = await Promise.all([ask(query, 'analyst'), ask(query, 'admin'), ask(query, '')]);
      expect(analyst.data.employees[0].salary).toBeNull();
      expect(admin.data.employees[0].salary).toBe(100);
      expect(anonymous.data.employees[0].salary).toBeNull();
      expect((await ask(query, 'admin')).data.employees[1].salary).toBe(120);
    });

    it('answers an operation whose every field is denied with nulls and errors, calling no subgraph', async () => {
      const mark = received.length;
      const res = await ask('{ employee(id: "e1") { ssn } }', '');
      expect(res.data).toEqual({ employee: { ssn: null } });
      expect(res.errors?.[0].extensions.code).toBe('FORBIDDEN');
      expect(sentSince(mark)).not.toContain('ssn');
    });

    it('does not let __typename or a batched request through', async () => {
      const res = await ask('{ employees { __typename ssn } }', 'analyst');
      expect(res.data.employees).toEqual([{ __typename: 'Employee', ssn: null }, { __typename: 'Employee', ssn: null }]);
      const batch = await fetch(`${url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-test-roles': 'analyst' },
        body: JSON.stringify([{ query: '{ employees { ssn } }' }, { query: '{ employees { id } }' }]),
      });
      expect(batch.status).toBe(400);
      expect(await batch.text()).not.toContain('123-45');
    });
  }

  if (mode === 'strict') {
    it('rejects the whole operation when any field is denied, calling no subgraph', async () => {
      const mark = received.length;
      const res = await fetch(`${url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-test-roles': 'analyst' },
        body: JSON.stringify({ query: '{ employees { id name ssn } }' }),
      });
      expect(res.status).toBe(403);
      const body: any = await res.json();
      expect(body.data).toBeUndefined();
      expect(body.errors[0].extensions).toMatchObject({ code: 'FORBIDDEN', coordinates: ['Employee.ssn'] });
      expect(sentSince(mark)).toBe('');
    });
  }

  if (mode === 'dry-run') {
    it('decides but neither removes nor masks anything', async () => {
      const res = await ask('{ employees { email ssn } }', 'analyst');
      expect(res).toEqual({ data: { employees: employees.map((e) => ({ email: e.email, ssn: e.ssn })) } });
    });
  }
});
