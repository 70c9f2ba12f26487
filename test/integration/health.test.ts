import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HEALTH_CACHE_MS } from '../../gateway/health';
import { startMesh, type RunningMesh } from '../support/mesh';

// GET /health is public behind the load balancer: however often it is asked, the gateway probes
// each subgraph at most once per HEALTH_CACHE_MS (2 s), so it cannot amplify load onto them.
describe('gateway readiness', () => {
  let mesh: RunningMesh;
  const probes: Record<string, number> = {};

  beforeAll(async () => {
    mesh = await startMesh('sqlite', { scale: 0.02 });
    for (const [name, { service }] of Object.entries(mesh.services)) {
      probes[name] = 0;
      service.httpServer.on('request', () => (probes[name] += 1));
    }
  });
  afterAll(async () => {
    await mesh?.stop();
  });

  const health = async () => {
    const res = await fetch(`${mesh.gatewayUrl}/health`);
    return { status: res.status, body: (await res.json()) as { status: string; subgraphs: Record<string, { up: boolean }> } };
  };

  it('probes every subgraph once per 2 s, however many requests ask, then again', async () => {
    expect(HEALTH_CACHE_MS).toBe(2_000);
    const started = performance.now();
    const answers = await Promise.all(Array.from({ length: 20 }, health));
    for (let i = 0; i < 20; i++) answers.push(await health());
    expect(performance.now() - started).toBeLessThan(HEALTH_CACHE_MS);
    for (const answer of answers) expect(answer).toMatchObject({ status: 200, body: { status: 'ok' } });
    expect(Object.values(probes)).toEqual(Object.values(probes).map(() => 1));

    // A subgraph down within the window: still the cached answer, then the truth once it expires.
    await mesh.services.logistics.service.stop();
    expect((await health()).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, HEALTH_CACHE_MS + 100));
    const after = await health();
    expect(after.status).toBe(503);
    expect(after.body.subgraphs.logistics.up).toBe(false);
    expect(probes.sales).toBe(2);
  });
});
