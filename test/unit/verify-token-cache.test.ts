import { afterEach, describe, expect, it, vi } from 'vitest';
import type { KeyMaterial } from '../../gateway/auth/keys';
import { CLOCK_TOLERANCE_SEC, createTokenVerifier, TOKEN_CACHE_TTL_MS } from '../../gateway/auth/verify-token';
import { signToken, TEST_JWT_SECRET } from '../support/tokens';

const keysFor = (secret: string): KeyMaterial => ({ kind: 'secret', key: new TextEncoder().encode(secret), algorithms: ['HS256'] });
const settings = { issuer: 'meshgate-dev', audience: 'meshgate' };
const code = (err: any) => err?.extensions?.code;

describe('createTokenVerifier: the cache of verified tokens', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('serves a repeated token from the cache with the same claims', async () => {
    const verify = createTokenVerifier(keysFor(TEST_JWT_SECRET), settings);
    const token = await signToken({ sub: 'alice', roles: ['support'] });
    const first = await verify(token);
    const second = await verify(token);
    expect(second).toBe(first);
    expect(second).toMatchObject({ sub: 'alice', roles: ['support'] });
  });

  it('a cached token still expires, with the same clock tolerance as a fresh verification', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const verify = createTokenVerifier(keysFor(TEST_JWT_SECRET), settings);
    const token = await signToken({ sub: 'alice' }, { expiresIn: 10 });
    await verify(token);
    // Past exp but within the tolerance: still served.
    vi.setSystemTime(Date.now() + (10 + CLOCK_TOLERANCE_SEC - 2) * 1000);
    await expect(verify(token)).resolves.toMatchObject({ sub: 'alice' });
    vi.setSystemTime(Date.now() + 5_000);
    const err = await verify(token).catch((e) => e);
    expect(code(err)).toBe('UNAUTHENTICATED');
    expect(err.extensions.reason).toBe('TOKEN_EXPIRED');
  });

  it('never serves a forged token from the cache, even one carrying the claims of a cached token', async () => {
    const verify = createTokenVerifier(keysFor(TEST_JWT_SECRET), settings);
    const genuine = await signToken({ sub: 'alice', roles: ['admin'] });
    await verify(genuine);
    const [header, payload] = genuine.split('.');
    const forged = `${header}.${payload}.${'A'.repeat(43)}`;
    const resigned = await signToken({ sub: 'alice', roles: ['admin'] }, { key: 'another-secret-0123456789abcdefghijklmnopqrstuv' });
    for (const token of [forged, resigned, forged]) {
      const err = await verify(token).catch((e) => e);
      expect(code(err)).toBe('UNAUTHENTICATED');
      expect(err.extensions.reason).toBe('TOKEN_SIGNATURE');
    }
  });

  it('verifies a token again after the cache lifetime, so a rotated key takes effect', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const token = await signToken({ sub: 'alice' }, { expiresIn: 3600 });
    // Two verifiers over one mutable key: "rotating" swaps the bytes the verifier checks with.
    const key = new TextEncoder().encode(TEST_JWT_SECRET);
    const verify = createTokenVerifier({ kind: 'secret', key, algorithms: ['HS256'] }, settings);
    await verify(token);
    key.fill(0);
    await expect(verify(token)).resolves.toMatchObject({ sub: 'alice' });
    vi.setSystemTime(Date.now() + TOKEN_CACHE_TTL_MS + 1);
    const err = await verify(token).catch((e) => e);
    expect(code(err)).toBe('UNAUTHENTICATED');
  });
});
