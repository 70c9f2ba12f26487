import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { devJwtSecret, ensureDevSecrets } from '../../gateway/auth/dev-secrets';

describe('development secrets', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'meshgate-secrets-'));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('are made once (32 random bytes, base64url, mode 0600) and read back after', () => {
    const dataDir = path.join(dir, 'data');
    const first = ensureDevSecrets(dataDir);
    expect(first.jwtSecret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(first.subgraphSecret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(first.jwtSecret).not.toBe(first.subgraphSecret);
    for (const file of ['dev-jwt-secret', 'dev-subgraph-secret']) expect(fs.statSync(path.join(dataDir, file)).mode & 0o777).toBe(0o600);
    expect(ensureDevSecrets(dataDir)).toEqual(first);
    expect(devJwtSecret({ MESHGATE_DATA_DIR: dataDir })).toBe(first.jwtSecret);
    expect(devJwtSecret({ MESHGATE_DATA_DIR: dataDir, MESHGATE_JWT_SECRET: 'e'.repeat(32) })).toBe('e'.repeat(32));
    expect(devJwtSecret({ MESHGATE_DATA_DIR: path.join(dir, 'none') })).toBeNull();
  });
});
