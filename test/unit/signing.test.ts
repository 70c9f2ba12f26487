import { describe, expect, it } from 'vitest';
import { ANONYMOUS, type Principal } from '../../shared/principal';
import {
  createReplayCache,
  decodePrincipal,
  encodePrincipal,
  SIGNATURE_HEADERS,
  signSubgraphRequest,
  verifySubgraphRequest,
  type ReplayCache,
} from '../../shared/signing';

const secret = 'a'.repeat(16) + 'unit-test-secret-0123456789';
const otherSecret = 'b'.repeat(16) + 'unit-test-secret-0123456789';
const body = JSON.stringify({ query: '{ order(id: "1") { id total } }', variables: { a: 'ü — 漢字' } });
const customer: Principal = {
  subject: 'user-7',
  roles: ['customer'],
  scopes: ['orders:read'],
  grantedPurposes: ['support'],
  purpose: 'support',
  client: { name: 'shop', version: '1.2.3' },
  attributes: { customerId: 'C000007' },
};
const T0 = 1_750_000_000_000;

const verify = (headers: Record<string, string | undefined>, options: { body?: string | Buffer; now?: number; cache?: ReplayCache; secret?: string } = {}) =>
  verifySubgraphRequest({
    headers,
    body: options.body ?? body,
    secret: options.secret ?? secret,
    now: options.now ?? T0,
    replayCache: options.cache ?? createReplayCache(),
  });

describe('gateway → subgraph request signing', () => {
  it('accepts what it signed and returns the forwarded principal', () => {
    const headers = signSubgraphRequest({ body, principal: customer, secret, now: T0 });
    expect(Object.keys(headers).sort()).toEqual(Object.values(SIGNATURE_HEADERS).sort());
    expect(headers[SIGNATURE_HEADERS.signature]).toMatch(/^v1=[A-Za-z0-9_-]{43}$/);
    const result = verify(headers);
    expect(result).toEqual({ ok: true, principal: customer });
    // The body may arrive as the raw bytes the server read.
    expect(verify(headers, { body: Buffer.from(body, 'utf8') }).ok).toBe(true);
  });

  it('signs ANONYMOUS too, and gives each request its own nonce', () => {
    const a = signSubgraphRequest({ body, principal: ANONYMOUS, secret, now: T0 });
    const b = signSubgraphRequest({ body, principal: ANONYMOUS, secret, now: T0 });
    expect(a[SIGNATURE_HEADERS.nonce]).not.toBe(b[SIGNATURE_HEADERS.nonce]);
    expect(a[SIGNATURE_HEADERS.signature]).not.toBe(b[SIGNATURE_HEADERS.signature]);
    expect(verify(a)).toEqual({ ok: true, principal: ANONYMOUS });
  });

  it('refuses a request without a signature, or with signature headers missing', () => {
    expect(verify({})).toMatchObject({ ok: false, code: 'SIGNATURE_INVALID', message: 'request is not signed by the gateway' });
    const headers = signSubgraphRequest({ body, principal: customer, secret, now: T0 });
    for (const name of Object.values(SIGNATURE_HEADERS)) {
      expect(verify({ ...headers, [name]: undefined }), name).toMatchObject({ ok: false, code: 'SIGNATURE_INVALID' });
    }
  });

  it('refuses a tampered body, even by one byte or one added space', () => {
    const headers = signSubgraphRequest({ body, principal: customer, secret, now: T0 });
    expect(verify(headers, { body: body.replace('1', '2') })).toMatchObject({ ok: false, code: 'SIGNATURE_INVALID' });
    expect(verify(headers, { body: body + ' ' })).toMatchObject({ ok: false, code: 'SIGNATURE_INVALID' });
    expect(verify(headers, { body: '' })).toMatchObject({ ok: false, code: 'SIGNATURE_INVALID' });
  });

  it('refuses a tampered principal: the forwarded principal is part of what is signed', () => {
    const headers = signSubgraphRequest({ body, principal: customer, secret, now: T0 });
    const admin = encodePrincipal({ ...customer, roles: ['admin'] });
    expect(verify({ ...headers, [SIGNATURE_HEADERS.principal]: admin })).toMatchObject({ ok: false, code: 'SIGNATURE_INVALID' });
    const otherCustomer = encodePrincipal({ ...customer, attributes: { customerId: 'C000001' } });
    expect(verify({ ...headers, [SIGNATURE_HEADERS.principal]: otherCustomer })).toMatchObject({ ok: false, code: 'SIGNATURE_INVALID' });
    expect(verify({ ...headers, [SIGNATURE_HEADERS.principal]: encodePrincipal(ANONYMOUS) })).toMatchObject({ ok: false, code: 'SIGNATURE_INVALID' });
  });

  it('refuses a tampered timestamp or nonce, a wrong secret and a garbled signature', () => {
    const headers = signSubgraphRequest({ body, principal: customer, secret, now: T0 });
    expect(verify({ ...headers, [SIGNATURE_HEADERS.timestamp]: String(T0 + 1) })).toMatchObject({ ok: false, code: 'SIGNATURE_INVALID' });
    expect(verify({ ...headers, [SIGNATURE_HEADERS.nonce]: 'AAAAAAAAAAAAAAAAAAAAAA' })).toMatchObject({ ok: false, code: 'SIGNATURE_INVALID' });
    expect(verify(headers, { secret: otherSecret })).toMatchObject({ ok: false, code: 'SIGNATURE_INVALID' });
    const forged = signSubgraphRequest({ body, principal: customer, secret: otherSecret, now: T0 });
    expect(verify(forged)).toMatchObject({ ok: false, code: 'SIGNATURE_INVALID' });
    for (const garbled of ['', 'v1=', 'v2=' + headers[SIGNATURE_HEADERS.signature].slice(3), headers[SIGNATURE_HEADERS.signature].slice(0, -2), 'v1=!!!', 'v1=' + 'A'.repeat(200)]) {
      expect(verify({ ...headers, [SIGNATURE_HEADERS.signature]: garbled }), garbled).toMatchObject({ ok: false, code: 'SIGNATURE_INVALID' });
    }
  });

  it('refuses requests signed outside the window, in the past or the future; the window is configurable', () => {
    const headers = signSubgraphRequest({ body, principal: customer, secret, now: T0 });
    expect(verify(headers, { now: T0 + 60_000 }).ok).toBe(true);
    expect(verify(headers, { now: T0 - 60_000 }).ok).toBe(true);
    expect(verify(headers, { now: T0 + 60_001 })).toMatchObject({ ok: false, code: 'SIGNATURE_EXPIRED' });
    // Signed "in the future" (clock ahead, or a forged timestamp that still needs the secret).
    expect(verify(headers, { now: T0 - 60_001 })).toMatchObject({ ok: false, code: 'SIGNATURE_EXPIRED' });
    const strict = createReplayCache({ windowMs: 5_000 });
    expect(verify(headers, { now: T0 + 5_001, cache: strict })).toMatchObject({ ok: false, code: 'SIGNATURE_EXPIRED' });
    expect(verify(headers, { now: T0 + 4_999, cache: strict }).ok).toBe(true);
  });

  it('refuses a replay of an accepted request within the window, and it stays refused after', () => {
    const cache = createReplayCache();
    const headers = signSubgraphRequest({ body, principal: customer, secret, now: T0 });
    expect(verify(headers, { cache, now: T0 + 10 }).ok).toBe(true);
    expect(verify(headers, { cache, now: T0 + 20 })).toMatchObject({ ok: false, code: 'REPLAYED_REQUEST' });
    expect(verify(headers, { cache, now: T0 + 59_000 })).toMatchObject({ ok: false, code: 'REPLAYED_REQUEST' });
    // Once the nonce is forgotten, the timestamp check refuses the request instead.
    expect(verify(headers, { cache, now: T0 + 60_001 })).toMatchObject({ ok: false, code: 'SIGNATURE_EXPIRED' });
    // … and the next accepted request evicts it.
    expect(verify(signSubgraphRequest({ body, principal: customer, secret, now: T0 + 60_001 }), { cache, now: T0 + 60_002 }).ok).toBe(true);
    expect(cache.size).toBe(1);
  });

  it('remembers only nonces of accepted requests: forged requests cannot fill the cache or burn a nonce', () => {
    const cache = createReplayCache();
    const headers = signSubgraphRequest({ body, principal: customer, secret, now: T0 });
    expect(verify(headers, { cache, body: 'tampered' }).ok).toBe(false);
    expect(verify({ ...headers, [SIGNATURE_HEADERS.signature]: 'v1=' + 'A'.repeat(43) }, { cache }).ok).toBe(false);
    expect(cache.size).toBe(0);
    expect(verify(headers, { cache }).ok).toBe(true);
    expect(cache.size).toBe(1);
  });

  it('keeps the replay cache bounded, evicting by time and refusing what it can no longer check', () => {
    const cache = createReplayCache({ windowMs: 1_000, maxEntries: 3 });
    const signedAt = (t: number) => signSubgraphRequest({ body, principal: customer, secret, now: t });
    const r = [signedAt(T0), signedAt(T0 + 1), signedAt(T0 + 2), signedAt(T0 + 3)];
    for (const h of r.slice(0, 3)) expect(verify(h, { cache, now: T0 + 5 }).ok).toBe(true);
    expect(cache.size).toBe(3);
    // Full: the oldest nonce is dropped, and anything signed at or before it is refused from now on.
    expect(verify(r[3], { cache, now: T0 + 5 }).ok).toBe(true);
    expect(cache.size).toBe(3);
    expect(verify(r[0], { cache, now: T0 + 6 })).toMatchObject({ ok: false, code: 'SIGNATURE_EXPIRED' });
    expect(verify(r[1], { cache, now: T0 + 6 })).toMatchObject({ ok: false, code: 'REPLAYED_REQUEST' });
    expect(verify(signedAt(T0 + 6), { cache, now: T0 + 7 }).ok).toBe(true);
    // Time passes: expired nonces are evicted on the next check.
    expect(verify(signedAt(T0 + 5_000), { cache, now: T0 + 5_000 }).ok).toBe(true);
    expect(cache.size).toBe(1);
  });

  it('rejects a validly signed but malformed principal', () => {
    const cache = createReplayCache();
    const headers = signSubgraphRequest({ body, principal: { ...customer, roles: 'admin' } as unknown as Principal, secret, now: T0 });
    expect(verify(headers, { cache })).toMatchObject({ ok: false, code: 'SIGNATURE_INVALID', message: 'malformed forwarded principal' });
    expect(decodePrincipal('not-json')).toBeNull();
    expect(decodePrincipal(Buffer.from('[]').toString('base64url'))).toBeNull();
    expect(decodePrincipal(encodePrincipal({ ...customer, attributes: { customerId: 7 } } as unknown as Principal))).toBeNull();
  });

  it('finds headers whatever their case, and never echoes header values in its messages', () => {
    const headers = signSubgraphRequest({ body, principal: customer, secret, now: T0 });
    const upper = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toUpperCase(), v]));
    expect(verify(upper).ok).toBe(true);
    const result = verify({ ...headers, [SIGNATURE_HEADERS.signature]: 'v1=' + 'A'.repeat(43) });
    expect(result.ok).toBe(false);
    if (!result.ok) {
      for (const value of Object.values(headers)) expect(result.message).not.toContain(value);
      expect(result.message).not.toContain(secret);
    }
  });
});
