import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { exportJWK, generateKeyPair } from 'jose';
import { describe, expect, it } from 'vitest';
import { resolveKeys } from '../../gateway/auth/keys';
import { parseAuthSettings } from '../../gateway/auth/settings';
import { MeshgateError } from '../../shared/errors';
import { TEST_JWT_SECRET } from '../support/tokens';

/** The CONFIG_INVALID message `fn` throws. */
function configError(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(MeshgateError);
    expect((err as MeshgateError).code).toBe('CONFIG_INVALID');
    return (err as Error).message;
  }
  throw new Error('expected CONFIG_INVALID');
}

const keysFor = (raw: unknown, env: NodeJS.ProcessEnv = {}, baseDir = '/') => resolveKeys(parseAuthSettings(raw, baseDir), env);

describe('meshgate.auth settings', () => {
  it('defaults issuer meshgate-dev and audience meshgate; resolves jwks_file against the config folder', () => {
    expect(parseAuthSettings(undefined, '/cfg')).toEqual({ issuer: 'meshgate-dev', audience: 'meshgate' });
    expect(parseAuthSettings({ jwks_file: 'keys/jwks.json', issuer: 'https://idp', audience: ['a', 'b'], anonymous: 'allow', algorithms: 'ES256' }, '/cfg')).toEqual({
      jwksFile: '/cfg/keys/jwks.json',
      issuer: 'https://idp',
      audience: ['a', 'b'],
      anonymous: 'allow',
      algorithms: ['ES256'],
    });
  });

  it.each([
    [['x'], 'meshgate.auth must be a mapping'],
    [{ jwks_url: 'ftp://idp/keys' }, 'meshgate.auth.jwks_url must be an http(s) URL'],
    [{ jwks_url: 'https://idp/keys', jwks_file: 'k.json' }, 'give one key source'],
    [{ anonymous: 'maybe' }, 'meshgate.auth.anonymous must be allow or deny'],
    [{ issuer: '' }, 'meshgate.auth.issuer must be a non-empty string'],
    [{ audience: [] }, 'meshgate.auth.audience must be a string or a non-empty list'],
    [{ jwt_secret: 'hunter2' }, 'only from the MESHGATE_JWT_SECRET environment variable'],
    [{ jwks: 'x' }, 'meshgate.auth.jwks is not a setting'],
  ])('refuses %j naming the setting', (raw, message) => {
    expect(configError(() => parseAuthSettings(raw, '/'))).toContain(message);
  });
});

describe('verification keys', () => {
  it('uses MESHGATE_JWT_SECRET for HS256 in development, nothing without it', () => {
    expect(keysFor(undefined, { MESHGATE_JWT_SECRET: TEST_JWT_SECRET })).toMatchObject({ kind: 'secret', algorithms: ['HS256'] });
    expect(keysFor(undefined, {})).toEqual({ kind: 'none' });
    expect(configError(() => keysFor(undefined, { MESHGATE_JWT_SECRET: 'short' }))).toContain('MESHGATE_JWT_SECRET must be at least 32 characters');
  });

  it('refuses to start in production without a JWKS, saying what to set; a secret is not enough', () => {
    const message = configError(() => keysFor(undefined, { NODE_ENV: 'production', MESHGATE_JWT_SECRET: TEST_JWT_SECRET }));
    expect(message).toContain('meshgate.auth.jwks_url');
    expect(message).toContain('meshgate.auth.jwks_file');
    expect(configError(() => keysFor({ jwks_url: 'http://idp/keys' }, { NODE_ENV: 'production' }))).toContain('https');
    expect(keysFor({ jwks_url: 'https://idp/keys' }, { NODE_ENV: 'production' })).toMatchObject({ kind: 'jwks', algorithms: ['RS256', 'ES256'] });
  });

  it('accepts only algorithms of the configured family', () => {
    expect(configError(() => keysFor({ jwks_url: 'https://idp/keys', algorithms: ['RS256', 'HS256'] }))).toContain('meshgate.auth.algorithms: HS256 not accepted with a JWKS');
    expect(configError(() => keysFor({ algorithms: ['RS256'] }, { MESHGATE_JWT_SECRET: TEST_JWT_SECRET }))).toContain('RS256 not accepted with MESHGATE_JWT_SECRET');
    expect(configError(() => keysFor({ jwks_url: 'https://idp/keys', algorithms: ['none'] }))).toContain('meshgate.auth.algorithms: none');
  });

  it('refuses a JWKS file that is missing, not a key set, or holds private keys', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'meshgate-jwks-'));
    try {
      expect(configError(() => keysFor({ jwks_file: 'missing.json' }, {}, dir))).toContain('meshgate.auth.jwks_file: cannot read');
      fs.writeFileSync(path.join(dir, 'empty.json'), '{"keys":[]}');
      expect(configError(() => keysFor({ jwks_file: 'empty.json' }, {}, dir))).toContain('must be a JWKS');
      const { privateKey } = await generateKeyPair('RS256', { extractable: true });
      fs.writeFileSync(path.join(dir, 'private.json'), JSON.stringify({ keys: [await exportJWK(privateKey)] }));
      expect(configError(() => keysFor({ jwks_file: 'private.json' }, {}, dir))).toContain('private or symmetric key material');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
