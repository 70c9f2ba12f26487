import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postGraphql } from '../support/subgraph';
import { signToken, TEST_JWT_SECRET } from '../support/tokens';

const root = path.resolve(__dirname, '../..');
// Version control, installed packages and local data are not source.
const NOT_COPIED = new Set(['.git', 'node_modules', '.data']);

interface Run {
  output: () => string;
  exited: Promise<number | null>;
  kill: () => void;
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
}

describe('meshgate new-domain, in a copy of the repository', () => {
  const copy = fs.mkdtempSync(path.join(os.tmpdir(), 'meshgate-new-domain-'));
  const runs: Run[] = [];
  // Without the parent's vitest variables, a vitest started in the copy is a run of its own.
  const baseEnv = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('VITEST')));
  const env = { ...baseEnv, MESHGATE_DATA_DIR: path.join(copy, '.data'), MESHGATE_JWT_SECRET: TEST_JWT_SECRET, MESHGATE_SUBGRAPH_SECRET: '', MESHGATE_LOG_LEVEL: 'info' };

  /** Runs a command in the copy, as a user would there. */
  function run(command: string[], extraEnv: NodeJS.ProcessEnv = {}): Run {
    const child = spawn(process.execPath, command, { cwd: copy, env: { ...env, ...extraEnv } });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const result: Run = {
      output: () => output,
      exited,
      kill: () => child.exitCode === null && child.kill('SIGKILL'),
      waitFor: (pattern, timeoutMs = 120_000) =>
        new Promise((resolve, reject) => {
          const timer = setInterval(() => {
            const match = output.match(pattern);
            if (match) (clearInterval(timer), resolve(match));
          }, 20);
          setTimeout(() => (clearInterval(timer), reject(new Error(`timed out waiting for ${pattern}:\n${output}`))), timeoutMs);
          void exited.then((code) => setTimeout(() => (clearInterval(timer), reject(new Error(`exited ${code} before ${pattern}:\n${output}`))), 50));
        }),
    };
    runs.push(result);
    return result;
  }
  const meshgate = (...args: string[]) => run(['bin/meshgate', ...args]);
  const finished = async (r: Run) => ({ code: await r.exited, output: r.output() });
  const configText = () => fs.readFileSync(path.join(copy, 'supergraph.yaml'), 'utf8');
  const registryText = () => fs.readFileSync(path.join(copy, 'subgraphs/index.ts'), 'utf8');

  beforeAll(() => {
    fs.cpSync(root, copy, { recursive: true, filter: (src) => !NOT_COPIED.has(path.relative(root, src)) });
    fs.symlinkSync(path.join(root, 'node_modules'), path.join(copy, 'node_modules'), 'dir');
  });
  afterAll(() => {
    for (const r of runs) r.kill();
    fs.rmSync(copy, { recursive: true, force: true });
  });

  it('refuses an invalid name, an existing domain and a taken port, writing nothing', async () => {
    const config = configText();
    const registry = registryText();
    const busy = net.createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    const busyPort = (busy.address() as net.AddressInfo).port;
    try {
      const cases: [string[], RegExp][] = [
        [['Loyalty_Program'], /DOMAIN_NAME_INVALID: invalid domain name "Loyalty_Program": use kebab-case/],
        [['sales'], /DOMAIN_EXISTS: domain "sales" already exists \(folder subgraphs\/sales, subgraphs\/index.ts, supergraph.yaml\)/],
        [['loyalty', '--port', '4001'], /PORT_TAKEN: port 4001 is used by another domain/],
        [['loyalty', '--port', String(busyPort)], new RegExp(`PORT_TAKEN: port ${busyPort} is in use on this machine`)],
      ];
      for (const [args, message] of cases) {
        const { code, output } = await finished(meshgate('new-domain', ...args));
        expect(code).toBe(1);
        expect(output).toMatch(message);
      }
    } finally {
      busy.close();
    }
    expect(fs.existsSync(path.join(copy, 'subgraphs/loyalty'))).toBe(false);
    expect(configText()).toBe(config);
    expect(registryText()).toBe(registry);
  });

  it('scaffolds a domain that starts, composes with the others, is served through the gateway, and passes its own tests', async () => {
    const created = await finished(meshgate('new-domain', 'loyalty-program', '--owner-team', 'Loyalty', '--owner-contact', 'loyalty@meshgate.example'));
    expect(created.output).toMatch(/created subgraphs\/loyalty-program\/ \(10 files\) and registered "loyalty-program" on port \d+/);
    expect(created.code).toBe(0);
    expect(registryText()).toContain("'loyalty-program': loyaltyProgram,");
    expect(configText()).toContain('./subgraphs/loyalty-program/schema.graphql');

    const composed = await finished(meshgate('compose', '--output', path.join(copy, 'supergraph.graphql')));
    expect(composed.output).toContain('composed 5 subgraphs (inventory, sales, logistics, customer-experience, loyalty-program)');
    expect(composed.code).toBe(0);

    // PORT=0: the routing_url's port may be taken by another run on this machine; the gateway is told the real URL.
    const subgraph = run(['bin/meshgate', 'subgraph', 'loyalty-program'], { PORT: '0' });
    const [, base] = await subgraph.waitFor(/subgraph ready at (http:\/\/[\d.:]+)\/graphql/);
    const health = await fetch(`${base}/health`);
    expect(await health.json()).toEqual({ status: 'ok', domain: 'loyalty-program' });

    const gateway = run(['bin/meshgate', 'gateway', '--port', '0'], { SUBGRAPH_LOYALTY_PROGRAM_URL: `${base}/graphql` });
    const [, url] = await gateway.waitFor(/serving 5 subgraphs at (http:\/\/\S+\/graphql)/);
    const auth = { authorization: `Bearer ${await signToken({ sub: 'new-domain-test', roles: ['analyst'] })}` };
    const res = await postGraphql(url, '{ loyaltyProgramItems(first: 3) { totalCount nodes { id name createdAt } } loyaltyProgramItem(id: "2") { id name } }', undefined, auth);
    expect(res.errors).toBeUndefined();
    expect(res.data.loyaltyProgramItems.nodes).toHaveLength(3);
    expect(res.data.loyaltyProgramItems.totalCount).toBeGreaterThanOrEqual(10);
    expect(res.data.loyaltyProgramItem).toMatchObject({ id: '2', name: expect.stringMatching(/ 2$/) });

    const tests = await finished(run(['node_modules/vitest/vitest.mjs', 'run', 'subgraphs/loyalty-program'], { MESHGATE_LOG_LEVEL: 'silent' }));
    // Five tests per engine: SQLite, plus PostgreSQL where TEST_DATABASE_URL is set (as in CI).
    const engines = process.env.TEST_DATABASE_URL ? 2 : 1;
    expect(tests.output.replace(/\x1b\[[\d;]*m/g, '')).toMatch(new RegExp(`Tests\\s+${5 * engines} passed \\(${5 * engines}\\)`));
    expect(tests.code).toBe(0);
  });
});
