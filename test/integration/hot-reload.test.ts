import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { composeServices } from '@apollo/composition';
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { parse } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { catalogSource } from '../../gateway/authorization/catalog';
import { readClassifications } from '../../gateway/governance';
import { useAuthorize } from '../../gateway/plugins/authorize';
import { useMask } from '../../gateway/plugins/mask';
import { SupergraphReloader } from '../../gateway/reload';
import { createGateway } from '../../gateway/server';
import type { Policy } from '../../policies/types';
import { CLASSIFICATION_SPEC_URL, CLASSIFIED_DIRECTIVE_SDL } from '../../shared/classification';
import { domains } from '../../subgraphs';
import { logistics } from '../../subgraphs/logistics';
import { cli } from '../support/cli';
import { runMeshgate, type MeshgateProcess } from '../support/meshgate-process';
import { postGraphql, startSubgraph, type RunningSubgraph } from '../support/subgraph';
import { signToken, TEST_JWT_SECRET } from '../support/tokens';
import { captureLog } from '../support/log-capture';

// The logistics subgraph runs a newer schema than the one it has published: Shipment also has
// carrierId and orderId (its resolvers' objects carry both). Publishing them is the schema change.
const original = fs.readFileSync(logistics.schemaFile, 'utf8');
const SHIPMENT = /type Shipment @key\(fields: "id"\)[^{]*\{\n/;
const withFields = (...fields: string[]) => original.replace(SHIPMENT, (head) => head + fields.join(''));
const CARRIER_ID = '  "The carrier\'s number, as carrier { id }."\n  carrierId: ID!\n';
const ORDER_ID = '  "The order\'s number, as order { id }."\n  orderId: ID!\n';
const published = { before: original, carrierId: withFields(CARRIER_ID), both: withFields(CARRIER_ID, ORDER_ID) };
// Governance refuses an unknown level; the parser an unclosed type; the authorize step (after
// composition, as the supergraph loads) a @policy no rule defines.
const broken = {
  governance: withFields(CARRIER_ID, '  "A secret."\n  secretNote: String @classified(level: "TOP_SECRET")\n'),
  syntax: `${withFields(CARRIER_ID)}\ntype Broken {\n`,
  policy: withFields(CARRIER_ID, '  "A risk score."\n  riskScore: Float @policy(policies: [["no-such-policy"]])\n').replace('"@composeDirective"]', '"@composeDirective", "@policy"]'),
};

const CARRIER_QUERY = '{ shipments(first: 5) { nodes { id carrierId carrier { id } } } }';
const ORDER_QUERY = '{ shipments(first: 5) { nodes { id orderId order { id } } } }';

describe('hot reload: a governed gateway recomposes when a subgraph schema changes', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'meshgate-reload-'));
  const schemaFile = path.join(dir, 'logistics.graphql');
  const servedFile = path.join(dir, 'logistics-served.graphql');
  const polled = path.join(dir, 'supergraph.yaml');
  const unpolled = path.join(dir, 'no-reload.yaml');
  const running: RunningSubgraph[] = [];
  const gateways: MeshgateProcess[] = [];
  let auth: Record<string, string>;

  const env = { MESHGATE_JWT_SECRET: TEST_JWT_SECRET, MESHGATE_DATA_DIR: path.join(dir, 'data'), MESHGATE_LOG_LEVEL: 'info', MESHGATE_SUBGRAPH_SECRET: '' };
  const startGateway = async (args: string[]) => {
    const gateway = runMeshgate(['gateway', '--port', '0', ...args], env);
    gateways.push(gateway);
    const [, url] = await gateway.waitFor(/serving \d+ subgraphs at (http:\/\/\S+\/graphql)/);
    return { gateway, url, reloads: () => gateway.err().split('supergraph reloaded from').length - 1 };
  };
  const ask = (url: string, query: string) => postGraphql(url, query, undefined, auth);
  /** Polls until `check` passes (the reload interval is 200 ms): fails with the last reason after 20 s. */
  async function eventually(check: () => Promise<void> | void) {
    const deadline = Date.now() + 20_000;
    for (;;) {
      try {
        return await check();
      } catch (err) {
        if (Date.now() > deadline) throw err;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  }

  beforeAll(async () => {
    expect(published.carrierId).not.toBe(original); // the Shipment type was found
    fs.writeFileSync(servedFile, published.both);
    fs.writeFileSync(schemaFile, published.before);
    for (const domain of Object.values(domains)) {
      const served = domain.name === 'logistics' ? { ...domain, schemaFile: servedFile } : domain;
      running.push(await startSubgraph(served, 'sqlite', { scale: 0.02 }));
    }
    const entries = Object.values(domains).flatMap((d, i) => [
      `  ${d.name}:`,
      `    routing_url: ${running[i].url}/graphql`,
      `    schema:`,
      `      file: ${d.name === 'logistics' ? schemaFile : d.schemaFile}`,
      `    descriptor: ${path.join(path.dirname(d.schemaFile), 'data-product.yaml')}`,
    ]);
    fs.writeFileSync(unpolled, ['subgraphs:', ...entries].join('\n'));
    fs.writeFileSync(polled, ['subgraphs:', ...entries, 'meshgate:', '  reload:', '    interval: 200ms'].join('\n'));
    auth = { authorization: `Bearer ${await signToken({ sub: 'reload-test', roles: ['analyst'] })}` };
  });
  afterAll(async () => {
    for (const g of gateways) if (g.child.exitCode === null) g.child.kill('SIGKILL');
    await Promise.all(running.map((s) => s.stop()));
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('serves a newly published field, keeps the last good supergraph through broken ones (logged), and loses no request over several reloads under load', async () => {
    fs.writeFileSync(schemaFile, published.before);
    const { gateway, url, reloads } = await startGateway(['--config', polled]);
    const unknown = await ask(url, CARRIER_QUERY);
    expect(unknown.errors?.[0].extensions.code).toBe('GRAPHQL_VALIDATION_FAILED');

    fs.writeFileSync(schemaFile, published.carrierId);
    await eventually(async () => {
      const res = await ask(url, CARRIER_QUERY);
      expect(res.errors).toBeUndefined();
      expect(res.data.shipments.nodes.length).toBeGreaterThan(0);
      for (const s of res.data.shipments.nodes) expect(s.carrierId).toBe(s.carrier.id);
    });

    for (const [schema, why] of [
      [broken.governance, /supergraph reload failed, still serving the last good supergraph: GOVERNANCE_FAILED: .*INVALID_CLASSIFICATION/],
      [broken.syntax, /supergraph reload failed, still serving the last good supergraph: COMPOSITION_FAILED: .*INVALID_GRAPHQL/],
      [broken.policy, /supergraph reload failed, still serving the last good supergraph: POLICY_INVALID: .*no-such-policy/],
    ] as const) {
      const accepted = reloads();
      fs.writeFileSync(schemaFile, schema);
      await gateway.waitFor(why, 20_000);
      const res = await ask(url, CARRIER_QUERY);
      expect(res.errors).toBeUndefined();
      expect(reloads()).toBe(accepted);
      expect((await ask(url, '{ shipments(first: 1) { nodes { id riskScore } } }')).errors?.[0].extensions.code).toBe('GRAPHQL_VALIDATION_FAILED');
    }
    expect(gateway.child.exitCode).toBeNull();

    // Continuous concurrent requests while the supergraph changes four times: none may fail.
    let stop = false;
    let sent = 0;
    const failures: unknown[] = [];
    const worker = async () => {
      while (!stop) {
        sent++;
        try {
          const res = await ask(url, CARRIER_QUERY);
          if (res.errors || res.data?.shipments.nodes.length !== 5) failures.push(res.errors ?? res.data);
        } catch (err) {
          failures.push(String(err));
        }
      }
    };
    const workers = Array.from({ length: 8 }, worker);
    const before = reloads();
    for (const [i, schema] of [published.both, published.carrierId, published.both, published.carrierId].entries()) {
      fs.writeFileSync(schemaFile, schema);
      await eventually(() => expect(reloads()).toBe(before + i + 1));
      const orders = await ask(url, ORDER_QUERY);
      if (schema === published.both) expect(orders.errors).toBeUndefined();
      else expect(orders.errors?.[0].extensions.code).toBe('GRAPHQL_VALIDATION_FAILED');
    }
    stop = true;
    await Promise.all(workers);
    expect(failures).toEqual([]);
    expect(sent).toBeGreaterThan(40);
  });

  it('`meshgate gateway --supergraph` does not poll by default; SIGHUP reloads the file', async () => {
    fs.writeFileSync(schemaFile, published.carrierId);
    const file = path.join(dir, 'supergraph.graphql');
    expect((await cli('compose', '--config', unpolled, '--output', file)).code).toBe(0);
    const { gateway, url, reloads } = await startGateway(['--supergraph', file, '--config', unpolled]);
    expect((await ask(url, CARRIER_QUERY)).errors).toBeUndefined();

    fs.writeFileSync(schemaFile, published.both);
    expect((await cli('compose', '--config', unpolled, '--output', file)).code).toBe(0);
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect((await ask(url, ORDER_QUERY)).errors?.[0].extensions.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(reloads()).toBe(0);

    gateway.child.kill('SIGHUP');
    await eventually(async () => expect((await ask(url, ORDER_QUERY)).errors).toBeUndefined());
    expect(reloads()).toBe(1);
  });
});

describe('hot reload: a request that spans a swap', () => {
  // One field whose domain raises its classification from PUBLIC to RESTRICTED: the swap lands
  // while the first request's authorization is still waiting on the policy.
  const sdlAt = (level: string) => `extend schema
  @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@composeDirective"])
  @link(url: "${CLASSIFICATION_SPEC_URL}", import: ["@classified"])
  @composeDirective(name: "@classified")
${CLASSIFIED_DIRECTIVE_SDL}
type Query { report: String @classified(level: "${level}") }`;
  const cleanups: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });

  it('finishes on the supergraph it started with, and the next request is decided with the new classifications', async () => {
    const subgraph = new ApolloServer({ schema: buildSubgraphSchema({ typeDefs: parse(sdlAt('PUBLIC')), resolvers: { Query: { report: () => 'quarterly figures' } } }) });
    const { url: subgraphUrl } = await startStandaloneServer(subgraph, { listen: { port: 0, host: '127.0.0.1' } });
    cleanups.push(() => subgraph.stop());
    const supergraphAt = (level: string) => {
      const composed = composeServices([{ name: 'reports', url: subgraphUrl, typeDefs: parse(sdlAt(level)) }]);
      if (composed.errors) throw composed.errors[0];
      return composed.supergraphSdl!;
    };
    let published = supergraphAt('PUBLIC');
    const reloader = new SupergraphReloader({ name: 'test', fingerprint: async () => published, build: async () => published }, { intervalMs: 0, logger: captureLog().logger });

    // PUBLIC is served to anyone, the rest to no one; while `hold` is set, every decision waits for it.
    let decisions = 0;
    let hold: Promise<void> | undefined;
    const policy: Policy = {
      anonymous: 'allow',
      readsArguments: false,
      async decide(_principal, field) {
        decisions++;
        await hold;
        return field.classification.level === 'PUBLIC' ? { decision: 'allow', reason: 'public' } : { decision: 'deny', reason: 'clearance' };
      },
      mask: () => null,
      principalKey: () => 'anonymous',
    };
    const gateway = await createGateway({
      supergraphSdl: published,
      reloader,
      plugins: [useAuthorize({ policy, catalogOf: catalogSource((sdl) => readClassifications(sdl)) }), useMask({ policy })],
      logger: captureLog().logger,
    });
    cleanups.push(() => gateway.stop());
    const url = `${await gateway.listen(0)}/graphql`;

    let release!: () => void;
    hold = new Promise<void>((resolve) => (release = resolve));
    const spanning = postGraphql(url, '{ report }');
    for (const deadline = Date.now() + 10_000; decisions === 0; ) {
      if (Date.now() > deadline) throw new Error('the first request was never decided');
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    published = supergraphAt('RESTRICTED');
    expect(await reloader.reload()).toEqual({ status: 'updated' });
    hold = undefined;
    release();
    expect(await spanning).toEqual({ data: { report: 'quarterly figures' } });

    const next = await postGraphql(url, '{ report }');
    expect(decisions).toBe(2);
    expect(next.data).toEqual({ report: null });
    expect(next.errors?.map((e: any) => [e.extensions.code, e.extensions.coordinate])).toEqual([['FORBIDDEN', 'Query.report']]);
  });
});
