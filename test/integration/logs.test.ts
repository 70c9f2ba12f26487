import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { routingUrlEnvVar } from '../../gateway/config';
import { domains } from '../../subgraphs';
import { startMesh, type RunningMesh } from '../support/mesh';
import { runMeshgate, type MeshgateProcess } from '../support/meshgate-process';
import { signToken, TEST_JWT_SECRET } from '../support/tokens';

// Issue #6: the real `meshgate gateway` logs structured JSON (pino) on stderr, one line per
// request under its request id (also answered as `x-request-id`), and never a token, personal
// data or an argument value, at the most verbose level, whether requests succeed, are refused
// or lose a subgraph.

const EMAIL = 'jane.doe.logcheck@example.com';
const LITERAL = 'Literal-Argument-Value-7731';

describe('the gateway log', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'meshgate-logs-'));
  const secret = randomBytes(32).toString('base64url');
  let mesh: RunningMesh;
  let gateway: MeshgateProcess;
  let url: string;

  beforeAll(async () => {
    mesh = await startMesh('sqlite', { scale: 0.02, subgraphSecret: secret });
    const config = path.join(dir, 'supergraph.yaml');
    fs.writeFileSync(
      config,
      ['subgraphs:', ...Object.values(domains).flatMap((d) => [`  ${d.name}:`, '    routing_url: http://127.0.0.1:1/graphql', '    schema:', `      file: ${d.schemaFile}`])].join('\n'),
    );
    fs.mkdirSync(path.join(dir, 'data'));
    gateway = runMeshgate(['gateway', '--config', config, '--port', '0'], {
      MESHGATE_DATA_DIR: path.join(dir, 'data'),
      MESHGATE_JWT_SECRET: TEST_JWT_SECRET,
      MESHGATE_SUBGRAPH_SECRET: secret,
      MESHGATE_AUDIT_DATABASE_URL: '',
      MESHGATE_LOG_LEVEL: 'trace',
      ...Object.fromEntries(Object.entries(mesh.services).map(([name, s]) => [routingUrlEnvVar(name), `${s.url}/graphql`])),
    });
    [, url] = await gateway.waitFor(/serving \d+ subgraphs at (http:\/\/\S+\/graphql)/);
  }, 120_000);

  afterAll(async () => {
    if (gateway?.child.exitCode === null) {
      gateway.child.kill('SIGTERM');
      await gateway.exited;
    }
    await mesh?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('has a line per request under its request id, and no token, personal data or argument value', async () => {
    const token = await signToken({ sub: 'log-analyst', roles: ['analyst'], email: EMAIL });
    const forged = await signToken({ sub: 'log-forger', roles: ['admin'] }, { key: 'another-secret-that-is-long-enough-0123456789' });
    const ask = async (body: object, authorization?: string) => {
      const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...(authorization && { authorization: `Bearer ${authorization}` }) }, body: JSON.stringify(body) });
      await res.text();
      return { status: res.status, requestId: res.headers.get('x-request-id') };
    };

    const answered = [
      await ask({ query: 'query BySearch($search: String) { customers(first: 3, filter: { search: $search }) { nodes { companyName email } } }', variables: { search: EMAIL } }, token),
      await ask({ query: `query ByLiteral { customers(first: 3, filter: { search: "${LITERAL}" }) { nodes { companyName } } }` }, token),
      await ask({ query: `query Typo { customer(id: "${LITERAL}") { companyNam } }` }, token),
    ];
    const refused = await ask({ query: '{ orders(first: 1) { nodes { id } } }' }, forged);
    expect(refused.status).toBe(401);
    // A subgraph down: the failure is logged (warn) with the request id, the variables are not.
    await mesh.services.sales.service.stop();
    answered.push(await ask({ query: 'query Down($search: String) { products(first: 1) { nodes { name } } customers(filter: { search: $search }) { totalCount } }', variables: { search: EMAIL } }, token));

    await new Promise((resolve) => setTimeout(resolve, 300)); // pino writes asynchronously
    const stderr = gateway.err();
    const lines = stderr.split('\n').filter((l) => l.startsWith('{'));
    const entries = lines.map((l) => JSON.parse(l));
    for (const secretThing of [token, token.split('.')[2], forged, forged.split('.')[2], EMAIL, LITERAL, secret]) expect(stderr).not.toContain(secretThing);

    for (const { requestId } of answered) {
      expect(requestId).toMatch(/^[0-9a-f-]{36}$/);
      expect(entries.filter((e) => e.requestId === requestId && e.msg === 'graphql request'), requestId!).toHaveLength(1);
    }
    const requestLines = entries.filter((e) => e.msg === 'graphql request');
    expect(requestLines.map((e) => e.operationName)).toEqual(expect.arrayContaining(['BySearch', 'ByLiteral', 'Typo', 'Down']));
    expect(requestLines.find((e) => e.errorCodes.includes('UNAUTHENTICATED'))).toMatchObject({ outcome: 'rejected', requestId: expect.any(String) });
    const down = entries.find((e) => e.requestId === answered[3].requestId && e.subgraph === 'sales');
    expect(down).toMatchObject({ level: 40, code: 'SUBGRAPH_UNAVAILABLE', reason: 'ECONNREFUSED' });
    // Each key on its own, at any depth: none of them may appear in any line.
    const keysOf = (value: unknown): string[] =>
      value && typeof value === 'object' ? Object.entries(value).flatMap(([k, v]) => [k, ...keysOf(v)]) : [];
    for (const e of entries) {
      const keys = keysOf(e);
      for (const key of ['variables', 'query', 'authorization', 'headers', 'principal']) expect(keys, `${key} in ${JSON.stringify(e)}`).not.toContain(key);
    }
  });
});
