import fs from 'node:fs';
import {
  buildClientSchema,
  getIntrospectionQuery,
  getNamedType,
  isCompositeType,
  isNonNullType,
  isObjectType,
  isRequiredArgument,
  type GraphQLObjectType,
  type GraphQLSchema,
} from 'graphql';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import YAML from 'yaml';
import { readClassifications } from '../../gateway/governance';
import { createPipeline } from '../../gateway/pipeline';
import { DEFAULT_POLICY_FILE } from '../../policies';
import type { Policy } from '../../policies/types';
import { LEVELS, type Classification } from '../../shared/classification';
import { startMesh, type RunningMesh } from '../support/mesh';
import { postGraphql } from '../support/subgraph';
import { signToken, TEST_JWT_SECRET } from '../support/tokens';

// Every role of the policy file × every field of the demo supergraph, through the real governed
// gateway. The expected decision is re-derived here from the policy DATA with a deliberately
// plain function, independent of the graphql-shield rules that enforce it.
const data = YAML.parse(fs.readFileSync(DEFAULT_POLICY_FILE, 'utf8'));
const rank = (level: string) => LEVELS.indexOf(level as (typeof LEVELS)[number]);
const SALES_REP_ROLES = ['hr', 'admin']; // policies/domains/sales.ts tightens SalesRep to these

interface Caller {
  roles: string[];
  purpose?: string;
  customerId?: string;
}

function expected(caller: Caller | null, coordinate: string, c: Classification): 'allow' | 'mask' | 'deny' {
  const [type] = coordinate.split('.');
  if (!caller) return data.anonymous === 'allow' && c.level === 'PUBLIC' && !c.category ? 'allow' : 'deny';
  let best: 'allow' | 'mask' | 'deny' = 'deny';
  for (const name of caller.roles) {
    const role = data.roles[name];
    if (!role || (type === 'SalesRep' && !SALES_REP_ROLES.includes(name))) continue;
    const fits = (g: any) =>
      (!g.categories || (c.category && g.categories.includes(c.category))) &&
      rank(c.level) <= rank(g.upTo) &&
      (!g.types || g.types.includes(type)) &&
      (!g.purposes || (caller.purpose !== undefined && g.purposes.includes(caller.purpose)));
    const own = role.ownData && rank(c.level) <= rank(role.ownData.upTo) && (role.ownData.types?.includes(type) || role.ownData.fields?.includes(coordinate));
    if ((!c.category && rank(c.level) <= rank(role.clearance)) || own || (c.category && (role.clear ?? []).some(fits))) return 'allow';
    if (c.category && (role.masked ?? []).some(fits)) best = 'mask';
  }
  return best;
}

const callers: Record<string, Caller | null> = {
  anonymous: null,
  analyst: { roles: ['analyst'] },
  'support for customer-support': { roles: ['support'], purpose: 'customer-support' },
  'support without a purpose': { roles: ['support'] },
  'hr for hr-administration': { roles: ['hr'], purpose: 'hr-administration' },
  auditor: { roles: ['auditor'] },
  customer: { roles: ['customer'], customerId: 'C000001' },
  admin: { roles: ['admin'] },
};

async function headersFor(caller: Caller | null): Promise<Record<string, string>> {
  if (!caller) return {};
  const token = await signToken({
    sub: `matrix-${caller.roles.join('-')}`,
    roles: caller.roles,
    ...(caller.purpose && { purposes: [caller.purpose] }),
    ...(caller.customerId && { customer_id: caller.customerId }),
  });
  return { authorization: `Bearer ${token}`, ...(caller.purpose && { 'x-purpose': caller.purpose }) };
}

/** Root lookups that need an argument, with ids present in any demo data set. */
const ROOT_ARGUMENTS: Record<string, string> = {
  product: '(id: "1")', productBySku: '(sku: "SKU-000001")', category: '(id: "1")', supplier: '(id: "1")', warehouse: '(id: "1")',
  customer: '(id: "C000001")', order: '(id: "1")', salesRep: '(id: "1")', carrier: '(id: "1")', shipment: '(id: "SHP-1-1")',
  review: '(id: "1")', supportTicket: '(id: "1")',
};

interface Probe {
  name: string;
  query: string;
  /** Coordinates on the way to the probed fields, outermost first. */
  route: string[];
  /** The probed fields, and the response keys leading to them. */
  fields: string[];
  keys: string[];
}

const selectionOf = (schema: GraphQLSchema, type: GraphQLObjectType, field: string) =>
  isCompositeType(getNamedType(type.getFields()[field].type)) ? `${field} { __typename }` : field;

/** One probe per root field, and one per object type reached from the root without arguments. */
function probes(schema: GraphQLSchema): Probe[] {
  const query = schema.getQueryType()!;
  const result: Probe[] = Object.values(query.getFields()).map((f) => ({
    name: `Query.${f.name}`,
    query: `{ ${f.name}${ROOT_ARGUMENTS[f.name] ?? ''}${isCompositeType(getNamedType(f.type)) ? ' { __typename }' : ''} }`,
    route: [],
    fields: [`Query.${f.name}`],
    keys: [],
  }));
  const seen = new Set<string>([query.name]);
  const queue: { type: GraphQLObjectType; route: string[]; keys: string[]; open: string }[] = [{ type: query, route: [], keys: [], open: '' }];
  while (queue.length) {
    const { type, route, keys, open } = queue.shift()!;
    for (const field of Object.values(type.getFields())) {
      const target = getNamedType(field.type);
      if (!isObjectType(target) || seen.has(target.name) || field.args.some(isRequiredArgument)) continue;
      seen.add(target.name);
      const next = { type: target, route: [...route, `${type.name}.${field.name}`], keys: [...keys, field.name], open: `${open} ${field.name} {` };
      queue.push(next);
      const leaves = Object.values(target.getFields()).filter((f) => !f.args.some(isRequiredArgument));
      result.push({
        name: target.name,
        query: `{${next.open} ${leaves.map((f) => selectionOf(schema, target, f.name)).join(' ')} ${'}'.repeat(next.route.length)} }`,
        route: next.route,
        fields: leaves.map((f) => `${target.name}.${f.name}`),
        keys: next.keys,
      });
    }
  }
  return result;
}

/** Every object the response holds at `keys` (lists flattened). */
function objectsAt(data: any, keys: string[]): any[] {
  let level = data == null ? [] : [data];
  for (const key of keys) level = level.flatMap((o) => (o == null ? [] : Array.isArray(o[key]) ? o[key] : [o[key]])).filter((o) => o != null);
  return level;
}

describe('policy matrix: every role × every field of the demo supergraph, through the gateway', () => {
  let mesh: RunningMesh;
  let policy: Policy;
  let schema: GraphQLSchema;
  let classifications: Map<string, Classification>;

  beforeAll(async () => {
    vi.stubEnv('MESHGATE_JWT_SECRET', TEST_JWT_SECRET);
    const pipeline = createPipeline({ settings: {}, baseDir: process.cwd() });
    policy = pipeline.policy;
    mesh = await startMesh('sqlite', { scale: 0.05, plugins: pipeline.plugins });
    const introspection = await postGraphql(`${mesh.gatewayUrl}/graphql`, getIntrospectionQuery(), undefined, await headersFor(callers.admin));
    schema = buildClientSchema(introspection.data);
    const supergraph: any = await (await fetch(`${mesh.gatewayUrl}/health`)).json(); // readiness before probing
    expect(supergraph.status).toBe('ok');
    classifications = readClassifications(mesh.supergraphSdl);
  });
  afterAll(async () => {
    await mesh?.stop();
    vi.unstubAllEnvs();
  });

  it('covers every field of every object type the admin can see', () => {
    const probed = new Set(probes(schema).flatMap((p) => p.fields));
    const all = Object.values(schema.getTypeMap())
      .filter((t): t is GraphQLObjectType => isObjectType(t) && !t.name.startsWith('__'))
      .flatMap((t) => Object.values(t.getFields()).filter((f) => !f.args.some(isRequiredArgument)).map((f) => `${t.name}.${f.name}`));
    expect(all.filter((c) => !probed.has(c))).toEqual([]);
    expect(all.length).toBeGreaterThan(200);
  });

  it.each(Object.keys(callers))('decides every field for %s as the policy data says', async (name) => {
    const caller = callers[name];
    const headers = await headersFor(caller);
    const adminHeaders = await headersFor(callers.admin);
    let checkedValues = 0;
    for (const probe of probes(schema)) {
      const decisionOf = (coordinate: string) => expected(caller, coordinate, classifications.get(coordinate)!);
      for (const c of [...probe.route, ...probe.fields]) expect(classifications.get(c), `classification of ${c}`).toBeDefined();
      const [res, admin] = await Promise.all([
        postGraphql(`${mesh.gatewayUrl}/graphql`, probe.query, undefined, headers),
        postGraphql(`${mesh.gatewayUrl}/graphql`, probe.query, undefined, adminHeaders),
      ]);
      const blocked = probe.route.find((c) => decisionOf(c) === 'deny');
      const deniedExpected = blocked ? [blocked] : probe.fields.filter((c) => decisionOf(c) === 'deny');
      const deniedActual = (res.errors ?? []).map((e: any) => (e.extensions?.code === 'FORBIDDEN' ? e.extensions.coordinate : `unexpected ${e.message}`));
      expect(deniedActual.sort(), `${name}: denied fields of probe ${probe.name}`).toEqual([...deniedExpected].sort());
      // Values: only where the route is readable in clear and the caller sees the same rows as admin.
      if (blocked || caller?.roles.includes('customer') || probe.route.some((c) => decisionOf(c) !== 'allow')) continue;
      const mine = objectsAt(res.data, probe.keys);
      const theirs = objectsAt(admin.data, probe.keys);
      if (mine.length !== theirs.length) {
        // Objects vanish only when a denied field is non-null: its null goes to the nearest nullable parent.
        const nonNullDenied = deniedExpected.filter((c) => {
          const [type, field] = c.split('.');
          return isNonNullType((schema.getType(type) as GraphQLObjectType).getFields()[field].type);
        });
        expect(nonNullDenied.length, `${name}: objects missing at ${probe.name} with no non-null field denied`).toBeGreaterThan(0);
        continue;
      }
      mine.forEach((object, i) => {
        for (const coordinate of probe.fields) {
          const key = coordinate.slice(coordinate.indexOf('.') + 1);
          const decision = decisionOf(coordinate);
          const info = { coordinate, typeName: coordinate.split('.')[0], fieldName: key, classification: classifications.get(coordinate)!, requirements: { authenticated: false, scopes: [], policies: [] } };
          const want = decision === 'allow' ? theirs[i][key] : decision === 'mask' ? policy.mask(info, theirs[i][key]) : null;
          expect(object[key], `${name}: ${coordinate} (${decision})`).toEqual(want);
          checkedValues++;
        }
      });
    }
    if (caller && !caller.roles.includes('customer')) expect(checkedValues).toBeGreaterThan(0);
  });
});
