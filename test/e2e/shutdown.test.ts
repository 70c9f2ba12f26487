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

// Issue #6: SIGTERM under sustained load. Clients keep sending (each its next request as soon as
// the last is answered) until the gateway stops accepting; SIGTERM arrives mid-stream. Every
// request the gateway accepted is answered in full (none fails, in flight at SIGTERM or not), it
// exits 0 within an orchestrator's grace period, and its audit trail holds exactly the requests
// that were answered: the same request ids the responses carried (`x-request-id`).
const CLIENTS = 24;
/** SIGTERM once this many answers are back: the gateway is warm and busy. */
const ANSWERS_BEFORE_SIGTERM = CLIENTS * 3;

interface Outcome {
  requestId?: string | null;
  ok?: boolean;
  status?: number;
  answeredAt?: number;
  /** A connection-level refusal: the request never reached a listening gateway. */
  refused?: string;
}

describe('`meshgate gateway` stopped with SIGTERM under sustained load', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'meshgate-sigterm-'));
  const secret = randomBytes(32).toString('base64url');
  let mesh: RunningMesh;
  let env: NodeJS.ProcessEnv;
  const children: MeshgateProcess[] = [];

  beforeAll(async () => {
    mesh = await startMesh('sqlite', { scale: 0.02, subgraphSecret: secret });
    fs.writeFileSync(
      path.join(dir, 'supergraph.yaml'),
      ['subgraphs:', ...Object.values(domains).flatMap((d) => [`  ${d.name}:`, '    routing_url: http://127.0.0.1:1/graphql', '    schema:', `      file: ${d.schemaFile}`])].join('\n'),
    );
    env = {
      MESHGATE_DATA_DIR: path.join(dir, 'data'),
      MESHGATE_JWT_SECRET: TEST_JWT_SECRET,
      MESHGATE_SUBGRAPH_SECRET: secret,
      MESHGATE_AUDIT_DATABASE_URL: '',
      MESHGATE_LOG_LEVEL: 'warn',
      ...Object.fromEntries(Object.entries(mesh.services).map(([name, s]) => [routingUrlEnvVar(name), `${s.url}/graphql`])),
    };
    fs.mkdirSync(env.MESHGATE_DATA_DIR!, { recursive: true });
  }, 60_000);

  afterAll(async () => {
    for (const c of children) if (c.child.exitCode === null) c.child.kill('SIGKILL');
    await mesh?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('answers every accepted request, exits 0, and has audited exactly the answered ones', async () => {
    const gateway = runMeshgate(['gateway', '--config', path.join(dir, 'supergraph.yaml'), '--port', '0'], env);
    children.push(gateway);
    const [, url] = await gateway.waitFor(/serving \d+ subgraphs at (http:\/\/\S+\/graphql)/);
    const token = `Bearer ${await signToken({ sub: 'sigterm-analyst', roles: ['analyst'] })}`;
    const query = 'query Load { orders(first: 5) { nodes { id total customer { companyName } lines { quantity product { name } } } } }';

    const outcomes: Outcome[] = [];
    const client = async () => {
      for (;;) {
        try {
          const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: token }, body: JSON.stringify({ query }) });
          const body = (await res.json()) as { data?: any; errors?: unknown[] };
          outcomes.push({ requestId: res.headers.get('x-request-id'), status: res.status, ok: res.status === 200 && !body.errors && body.data?.orders?.nodes?.length === 5, answeredAt: Date.now() });
        } catch (err) {
          outcomes.push({ refused: String((err as Error).cause ?? err) });
          return; // the gateway no longer accepts: this client is done
        }
      }
    };
    const load = Promise.all(Array.from({ length: CLIENTS }, client));
    while (outcomes.length < ANSWERS_BEFORE_SIGTERM) await new Promise((resolve) => setTimeout(resolve, 10));
    const sigtermAt = Date.now();
    gateway.child.kill('SIGTERM');
    const exitCode = await gateway.exited;
    const exitedAt = Date.now();
    await load;

    expect(exitCode, gateway.err()).toBe(0);
    expect(exitedAt - sigtermAt, 'ms from SIGTERM to exit').toBeLessThan(15_000);
    const answered = outcomes.filter((o) => !o.refused);
    expect(answered.filter((o) => !o.ok), 'answered with an error').toEqual([]);
    // Requests in flight at SIGTERM were finished, not dropped.
    expect(answered.filter((o) => o.answeredAt! >= sigtermAt).length).toBeGreaterThan(0);
    expect(answered.length).toBeGreaterThanOrEqual(ANSWERS_BEFORE_SIGTERM);
    const refused = outcomes.filter((o) => o.refused);
    expect(refused).toHaveLength(CLIENTS); // each client stopped once, at the closed listener
    for (const r of refused) expect(r.refused).toMatch(/ECONNREFUSED|ECONNRESET|other side closed|SocketError/);

    const exported = runMeshgate(['audit', 'export', '--format', 'jsonl'], env);
    children.push(exported);
    expect(await exported.exited, exported.err()).toBe(0);
    const events = exported.out().split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l) as { requestId: string; outcome: string });
    // No lost event and none for a request that was not answered: the very same request ids.
    expect(events.map((e) => e.requestId).sort()).toEqual(answered.map((o) => o.requestId).sort());
    expect(events.every((e) => e.outcome === 'ok')).toBe(true);
    process.stdout.write(`sigterm: ${answered.length} answered (${answered.filter((o) => o.answeredAt! >= sigtermAt).length} after SIGTERM), ${events.length} audited, exit in ${exitedAt - sigtermAt} ms\n`);
  }, 150_000);
});
