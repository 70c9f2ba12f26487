import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MeshgatePlugin } from '../../gateway/plugins/types';
import { createGateway, type MeshgateGateway } from '../../gateway/server';
import { captureLog, type CapturedLog } from '../support/log-capture';
import { startMesh, type RunningMesh } from '../support/mesh';

// Issue #6: an unexpected error reaches the caller as INTERNAL_SERVER_ERROR with the request id,
// and its details are logged once, under that id, so an operator can find them from the answer.

const DETAIL = 'connection to db-7.internal.example lost';

/** A step that fails the way a bug would: in a request hook, or while preparing the context. */
const faulty: MeshgatePlugin = {
  name: 'faulty',
  prepareContext(req) {
    if (req.headers['x-fail'] === 'context') throw new Error(`context: ${DETAIL}`);
  },
  apollo: {
    async requestDidStart({ request }) {
      if (request.http?.headers.get('x-fail') !== 'operation') return;
      return {
        async didResolveOperation() {
          throw new Error(`operation: ${DETAIL}`);
        },
      };
    },
  },
};

describe('unexpected errors', () => {
  let mesh: RunningMesh;
  let gateway: MeshgateGateway;
  let url: string;
  let log: CapturedLog;

  beforeAll(async () => {
    mesh = await startMesh('sqlite', { scale: 0.02 });
    log = captureLog();
    gateway = await createGateway({ supergraphSdl: mesh.supergraphSdl, plugins: [faulty], logger: log.logger });
    url = await gateway.listen(0);
  });
  afterAll(async () => {
    await gateway?.stop();
    await mesh?.stop();
  });

  const post = async (fail: string) => {
    const res = await fetch(`${url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-fail': fail }, body: JSON.stringify({ query: '{ products(first: 1) { nodes { name } } }' }) });
    const text = await res.text();
    return { status: res.status, text, body: JSON.parse(text) as { errors?: { message: string; extensions: Record<string, unknown> }[] } };
  };

  for (const where of ['operation', 'context']) {
    it(`in the ${where}: masked for the caller, logged once under the request id it answers`, async () => {
      const res = await post(where);
      expect(res.status).toBe(500);
      expect(res.body.errors).toEqual([{ message: 'internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR', requestId: expect.stringMatching(/^[0-9a-f-]{36}$/) } }]);
      expect(res.text).not.toContain('internal.example');
      const requestId = res.body.errors![0].extensions.requestId;
      await new Promise((resolve) => setTimeout(resolve, 50));
      const logged = log.entries().filter((e) => e.msg === 'unexpected error' && e.err?.message?.startsWith(where));
      expect(logged).toHaveLength(1);
      expect(logged[0]).toMatchObject({ level: 50, requestId, err: { message: `${where}: ${DETAIL}`, stack: expect.any(String) } });
    });
  }
});
