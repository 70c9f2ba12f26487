import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openAuditStore } from '../../gateway/audit/store';
import { auditEvents } from '../support/audit-events';

// A command's output must survive a slow reader: on a pipe, Node queues writes past the pipe's
// buffer, and exiting right after the last write once cut `meshgate audit export` short.
describe('meshgate output through a slow pipe', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'meshgate-pipe-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('`meshgate audit export` delivers every event to a reader that starts late', async () => {
    const store = await openAuditStore({ sqliteFile: path.join(dir, 'audit.sqlite'), chain: 'pipe-test' });
    await store.append(auditEvents(3_000));
    await store.close();

    const child = spawn(process.execPath, [path.resolve(__dirname, '../../bin/meshgate'), 'audit', 'export', '--format', 'jsonl'], {
      env: { ...process.env, MESHGATE_DATA_DIR: dir },
    });
    child.stdout.pause(); // nothing is read until the command has written everything it will
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    const ended = new Promise((resolve) => child.stdout.once('end', resolve));
    await new Promise((r) => setTimeout(r, 1_500));
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (chunk) => (out += chunk));
    child.stdout.resume();
    await ended;
    expect(await exited).toBe(0);
    const lines = out.split('\n').filter(Boolean);
    expect(Buffer.byteLength(out)).toBeGreaterThan(256 * 1024); // far past a pipe's buffer
    expect(lines).toHaveLength(3_000);
    expect(new Set(lines.map((l) => JSON.parse(l).id)).size).toBe(3_000);
  });
});
