import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { parse } from 'graphql';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { composeSupergraph } from '../../gateway/compose';
import { createPipeline } from '../../gateway/pipeline';
import { createGateway, type MeshgateGateway } from '../../gateway/server';
import { CLASSIFICATION_SPEC_URL, CLASSIFIED_DIRECTIVE_SDL } from '../../shared/classification';
import { asDataProduct } from '../support/data-product';
import { postGraphql } from '../support/subgraph';
import { signToken, TEST_JWT_SECRET } from '../support/tokens';

// A subgraph written for Apollo Router keeps its authorization directives under Meshgate, with
// the Router's semantics, combined by `and` with classification rules.
const vaultSdl = (policyName = 'sales:read-all') => `extend schema
  @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key", "@authenticated", "@requiresScopes", "@policy", "@composeDirective"])
  @link(url: "${CLASSIFICATION_SPEC_URL}", import: ["@classified"])
  @composeDirective(name: "@classified")
${CLASSIFIED_DIRECTIVE_SDL}
type Query @classified(level: "PUBLIC") {
  doc(id: ID!): Doc
  vault: Vault
}
type Doc @key(fields: "id") @classified(level: "PUBLIC") {
  id: ID!
  title: String
  secretNote: String @authenticated
  price: Int @requiresScopes(scopes: [["read:price"], ["price:admin", "price:all"]])
  ledger: String @policy(policies: [["${policyName}"]])
  draft: String @classified(level: "RESTRICTED")
}
type Vault @authenticated @classified(level: "PUBLIC") {
  combination: String
}`;
const doc = { id: '1', title: 'Q3 plan', secretNote: 'note', price: 42, ledger: 'ledger', draft: 'draft' };

async function startVault(policyName?: string) {
  const server = new ApolloServer({
    schema: buildSubgraphSchema({ typeDefs: parse(vaultSdl(policyName)), resolvers: { Query: { doc: () => doc, vault: () => ({ combination: '1234' }) } } as any }),
  });
  const { url } = await startStandaloneServer(server, { listen: { port: 0, host: '127.0.0.1' } });
  const composed = composeSupergraph([asDataProduct({ name: 'vault', routingUrl: url, origin: 'vault.graphql', sdl: vaultSdl(policyName) })]);
  if (!composed.ok) throw new Error(JSON.stringify(composed.problems));
  return { server, supergraphSdl: composed.supergraphSdl };
}

describe('Apollo Router authorization directives at the Meshgate gateway', () => {
  let vault: Awaited<ReturnType<typeof startVault>>;
  let gateway: MeshgateGateway;
  let url: string;
  const ask = async (query: string, claims?: Record<string, unknown>) => {
    const headers: Record<string, string> = claims ? { authorization: `Bearer ${await signToken({ sub: 'router', ...claims })}` } : {};
    return postGraphql(`${url}/graphql`, query, undefined, headers);
  };
  const denied = (res: { errors?: any[] }) => (res.errors ?? []).map((e) => `${e.extensions.coordinate}:${e.extensions.reason}`);

  beforeAll(async () => {
    vi.stubEnv('MESHGATE_JWT_SECRET', TEST_JWT_SECRET);
    vault = await startVault();
    gateway = await createGateway({ supergraphSdl: vault.supergraphSdl, plugins: createPipeline({ settings: {}, baseDir: process.cwd() }).plugins });
    url = await gateway.listen(0);
  });
  afterAll(async () => {
    await gateway?.stop();
    await vault?.server.stop();
    vi.unstubAllEnvs();
  });

  it('@authenticated: anonymous callers are denied the field, any authenticated caller gets it', async () => {
    const anonymous = await ask('{ doc(id: "1") { title secretNote } }');
    expect(anonymous.data).toEqual({ doc: { title: 'Q3 plan', secretNote: null } });
    expect(denied(anonymous)).toEqual([expect.stringMatching(/^Doc.secretNote:/)]);
    expect(await ask('{ doc(id: "1") { secretNote } }', { roles: ['analyst'] })).toEqual({ data: { doc: { secretNote: 'note' } } });
  });

  it('@requiresScopes: the token scopes must satisfy one of the AND-lists', async () => {
    const query = '{ doc(id: "1") { price } }';
    expect(denied(await ask(query, { roles: ['analyst'] }))).toEqual([expect.stringMatching(/^Doc.price:/)]);
    expect((await ask(query, { roles: ['analyst'], scope: 'read:price' })).data).toEqual({ doc: { price: 42 } });
    expect(denied(await ask(query, { roles: ['analyst'], scope: 'price:admin' }))).toEqual([expect.stringMatching(/^Doc.price:/)]);
    expect((await ask(query, { roles: ['analyst'], scope: 'price:all price:admin' })).data).toEqual({ doc: { price: 42 } });
  });

  it('@policy: names a rule in policies/named.ts', async () => {
    const query = '{ doc(id: "1") { ledger } }';
    expect((await ask(query, { roles: ['analyst'] })).data).toEqual({ doc: { ledger: 'ledger' } });
    expect(denied(await ask(query, { roles: ['auditor'] }))).toEqual([expect.stringMatching(/^Doc.ledger:/)]);
  });

  it('combines directives with classification by `and`: scopes do not lift a clearance', async () => {
    const res = await ask('{ doc(id: "1") { draft } }', { roles: ['analyst'], scope: 'read:price price:admin price:all' });
    expect(denied(res)).toEqual([expect.stringMatching(/^Doc.draft:/)]);
    expect((await ask('{ doc(id: "1") { draft } }', { roles: ['admin'] })).data).toEqual({ doc: { draft: 'draft' } });
  });

  it('@authenticated on a type guards every field returning it', async () => {
    const anonymous = await ask('{ vault { combination } }');
    expect(anonymous.data).toEqual({ vault: null });
    expect(denied(anonymous)).toEqual([expect.stringMatching(/^Query.vault:/)]);
    expect((await ask('{ vault { combination } }', { roles: ['analyst'] })).data).toEqual({ vault: { combination: '1234' } });
  });

  it('refuses to serve a supergraph whose @policy names no rule', async () => {
    const other = await startVault('finance:unknown');
    try {
      await expect(createGateway({ supergraphSdl: other.supergraphSdl, plugins: createPipeline({ settings: {}, baseDir: process.cwd() }).plugins })).rejects.toMatchObject({
        code: 'POLICY_INVALID',
        message: expect.stringContaining('finance:unknown'),
      });
    } finally {
      await other.server.stop();
    }
  });
});
