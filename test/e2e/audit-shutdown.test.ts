import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { routingUrlEnvVar } from '../../gateway/config';
import { createDb } from '../../shared/db';
import { domains } from '../../subgraphs';
import { TEST_DATABASE_URL } from '../support/db';
import { startMesh, type RunningMesh } from '../support/mesh';
import { runMeshgate } from '../support/meshgate-process';
import { signToken, TEST_JWT_SECRET } from '../support/tokens';

// SIGTERM under load loses nothing: a real `meshgate gateway` process over an in-process mesh
// gets a burst of concurrent requests and SIGTERM while they are in flight. Every request it
// accepted is answered, it exits 0, and its audit store holds exactly one event per answer.
// It must also exit promptly: keep-alive sockets busy at SIGTERM once held it up for the 65 s
// keep-alive timeout, past an orchestrator's 30 s grace period (closeServer now sweeps them).
const BURST = 300;

const meshgate = runMeshgate;

// The audit store as deployed (PostgreSQL, in a schema of its own, dropped afterwards) and as in development (SQLite).
const pgSchema = `t_${randomBytes(4).toString('hex')}_audit_shutdown`;
const stores: { engine: string; env: NodeJS.ProcessEnv; schema?: string }[] = [
  { engine: 'sqlite', env: { MESHGATE_AUDIT_DATABASE_URL: '' } },
  ...(TEST_DATABASE_URL ? [{ engine: 'postgres', schema: pgSchema, env: { MESHGATE_AUDIT_DATABASE_URL: TEST_DATABASE_URL, MESHGATE_AUDIT_DB_SCHEMA: pgSchema } }] : []),
];
if (!TEST_DATABASE_URL) process.stdout.write('audit-shutdown on PostgreSQL skipped: TEST_DATABASE_URL is not set\n');

describe.each(stores)('`meshgate gateway` stopped with SIGTERM under load, audit on $engine', (store) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'meshgate-shutdown-'));
  const secret = randomBytes(32).toString('base64url');
  let mesh: RunningMesh;
  let env: NodeJS.ProcessEnv;
  const children: ReturnType<typeof meshgate>[] = [];

  beforeAll(async () => {
    mesh = await startMesh('sqlite', { scale: 0.02, subgraphSecret: secret });
    const config = path.join(dir, 'supergraph.yaml');
    fs.writeFileSync(
      config,
      ['subgraphs:', ...Object.values(domains).flatMap((d) => [`  ${d.name}:`, '    routing_url: http://127.0.0.1:1/graphql', '    schema:', `      file: ${d.schemaFile}`])].join('\n'),
    );
    env = {
      MESHGATE_DATA_DIR: path.join(dir, 'data'),
      MESHGATE_JWT_SECRET: TEST_JWT_SECRET,
      MESHGATE_SUBGRAPH_SECRET: secret,
      ...store.env,
      ...Object.fromEntries(Object.entries(mesh.services).map(([name, s]) => [routingUrlEnvVar(name), `${s.url}/graphql`])),
    };
    fs.mkdirSync(env.MESHGATE_DATA_DIR!, { recursive: true });
  }, 60_000);

  afterAll(async () => {
    for (const c of children) if (c.child.exitCode === null) c.child.kill('SIGKILL');
    await mesh?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
    if (store.schema) {
      const db = createDb({ url: TEST_DATABASE_URL, schema: store.schema });
      await db.knex.raw('DROP SCHEMA IF EXISTS ?? CASCADE', [store.schema]);
      await db.close();
    }
  });

  it('answers every request it accepted, exits 0, and has written one audit event per answer', async () => {
    const t0 = Date.now();
    const lap = (what: string) => process.stdout.write(`audit-shutdown: ${what} at ${Date.now() - t0} ms\n`);
    const gateway = meshgate(['gateway', '--config', path.join(dir, 'supergraph.yaml'), '--port', '0'], { ...env, MESHGATE_LOG_LEVEL: 'warn' });
    children.push(gateway);
    const [, url] = await gateway.waitFor(/serving \d+ subgraphs at (http:\/\/\S+\/graphql)/);
    lap('gateway ready');
    const tokens = await Promise.all(['analyst', 'admin'].map(async (role) => `Bearer ${await signToken({ sub: `shutdown-${role}`, roles: [role] })}`));
    const query = '{ orders(first: 5) { nodes { id total customer { companyName } lines { quantity product { name } } } } }';

    let answered = 0;
    let sigtermAt = 0;
    let sigtermTime = 0;
    const outcomes = await Promise.all(
      Array.from({ length: BURST }, async (_, i) => {
        try {
          const res = await fetch(url, {
            method: 'POST',
            headers: { 'content-type': 'application/json', authorization: tokens[i % tokens.length] },
            body: JSON.stringify({ query }),
          });
          const body = (await res.json()) as { data?: any; errors?: unknown[] };
          answered += 1;
          // SIGTERM once a few answers are back: the rest of the burst is in flight.
          if (answered === 10) {
            sigtermAt = answered;
            sigtermTime = Date.now();
            gateway.child.kill('SIGTERM');
          }
          return { ok: res.status === 200 && !body.errors && body.data?.orders?.nodes?.length === 5, status: res.status, errors: body.errors };
        } catch (err) {
          return { ok: false, refused: true, error: String((err as Error).cause ?? err) };
        }
      }),
    );
    lap('burst answered');
    expect(sigtermAt).toBe(10);
    expect(await gateway.exited).toBe(0);
    expect(Date.now() - sigtermTime, 'ms from SIGTERM to exit').toBeLessThan(15_000);
    lap('gateway exited');

    const failed = outcomes.filter((o) => !o.ok && !('refused' in o));
    expect(failed, 'answered with an error').toEqual([]);
    const refused = outcomes.filter((o) => 'refused' in o);
    // Requests after SIGTERM may be refused at the socket (the listener is closed), never half-answered.
    for (const r of refused) expect(r.error).toMatch(/ECONNREFUSED|ECONNRESET|other side closed|SocketError/);
    expect(answered).toBe(BURST - refused.length);
    // Most of the burst was already accepted when SIGTERM arrived: it was answered, not dropped.
    expect(answered).toBeGreaterThan(10);

    const exported = meshgate(['audit', 'export', '--format', 'jsonl'], env);
    children.push(exported);
    expect(await exported.exited, exported.err()).toBe(0);
    const events = exported.out().split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l));
    expect(events, gateway.err().split("\n").filter((l) => l.includes("audit")).slice(0, 5).join("\n")).toHaveLength(answered);
    expect(new Set(events.map((e) => e.requestId)).size).toBe(answered);
    expect(events.every((e) => e.outcome === 'ok')).toBe(true);

    lap('exported');
    const verified = meshgate(['audit', 'verify'], env);
    children.push(verified);
    expect(await verified.exited, verified.out() + verified.err()).toBe(0);
    process.stdout.write(`audit-shutdown: ${BURST} sent, ${answered} answered, ${refused.length} refused after SIGTERM, ${events.length} events\n`);
  }, 150_000);
});
