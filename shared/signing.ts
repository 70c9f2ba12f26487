import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { MeshgateError } from './errors';
import type { Principal } from './principal';

/**
 * Gateway → subgraph request signing. The gateway signs every request it sends to a subgraph;
 * a subgraph with a secret executes only requests whose signature checks out, so a subgraph's
 * `_entities`, `_service` and forwarded principal are the gateway's alone.
 *
 * Protocol v1. Headers (all required):
 * - `x-meshgate-timestamp`: milliseconds since the epoch when the gateway signed;
 * - `x-meshgate-nonce`: 16 random bytes, base64url; a subgraph accepts each nonce once;
 * - `x-meshgate-principal`: the forwarded principal, base64url of its JSON;
 * - `x-meshgate-signature`: `v1=` + base64url(HMAC-SHA256(secret, canonical)).
 *
 * canonical = "meshgate-subgraph-request/v1\n" + timestamp + "\n" + nonce + "\n" +
 *             principal header value + "\n" + the exact body bytes.
 * None of the first four parts can hold a newline (their formats are checked), so the string
 * is unambiguous. The principal is signed as the header carries it, so it is checked before it
 * is decoded, and the body as the bytes that travel, so nothing is re-serialised.
 */

export const SIGNATURE_HEADERS = {
  timestamp: 'x-meshgate-timestamp',
  nonce: 'x-meshgate-nonce',
  principal: 'x-meshgate-principal',
  signature: 'x-meshgate-signature',
} as const;

export const DEFAULT_SIGNATURE_WINDOW_MS = 60_000;
/** A shared secret shorter than this is refused (`CONFIG_INVALID`): 32 random bytes in hex is 64. */
export const MIN_SECRET_LENGTH = 32;
/** Nonces a subgraph remembers by default: well above the requests of two windows at our peak rates. */
export const DEFAULT_REPLAY_CACHE_ENTRIES = 500_000;

const CANONICAL_PREFIX = 'meshgate-subgraph-request/v1\n';
const SIGNATURE_PREFIX = 'v1=';
const MAX_PRINCIPAL_HEADER_BYTES = 8 * 1024;
const TIMESTAMP_FORMAT = /^\d{1,15}$/;
const NONCE_FORMAT = /^[A-Za-z0-9_-]{16,64}$/;
const BASE64URL_FORMAT = /^[A-Za-z0-9_-]*$/;

export type SignatureErrorCode = 'SIGNATURE_INVALID' | 'SIGNATURE_EXPIRED' | 'REPLAYED_REQUEST';

export type RequestBody = string | Uint8Array;

/** The environment's `MESHGATE_SUBGRAPH_SECRET`, or undefined when it is unset or empty. */
export function subgraphSecretFromEnv(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const secret = env.MESHGATE_SUBGRAPH_SECRET;
  return secret ? secret : undefined;
}

/** Refuses a secret too short to be one (the message never shows the value). */
export function assertUsableSecret(secret: string, source = 'MESHGATE_SUBGRAPH_SECRET'): void {
  if (secret.length < MIN_SECRET_LENGTH) {
    throw new MeshgateError('CONFIG_INVALID', `${source} must be at least ${MIN_SECRET_LENGTH} characters (it has ${secret.length})`);
  }
}

const encodedPrincipals = new WeakMap<Principal, string>();

/** The principal as the `x-meshgate-principal` header carries it: base64url of its JSON. */
export function encodePrincipal(principal: Principal): string {
  let encoded = encodedPrincipals.get(principal);
  if (encoded === undefined) {
    encoded = Buffer.from(JSON.stringify(principal), 'utf8').toString('base64url');
    encodedPrincipals.set(principal, encoded);
  }
  return encoded;
}

const isStringArray = (value: unknown): value is string[] => Array.isArray(value) && value.every((v) => typeof v === 'string');
const isNullableString = (value: unknown): value is string | null => value === null || typeof value === 'string';

/** Decodes and checks the shape of a forwarded principal; null when it is not one. */
export function decodePrincipal(encoded: string): Principal | null {
  let value: any;
  try {
    value = JSON.parse(Buffer.from(encoded, 'base64url').toString('utf8'));
  } catch {
    return null;
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return null;
  const { subject, roles, scopes, grantedPurposes, purpose, client, attributes } = value;
  if (!isNullableString(subject) || !isStringArray(roles) || !isStringArray(scopes) || !isStringArray(grantedPurposes) || !isNullableString(purpose)) return null;
  if (client === null || typeof client !== 'object' || !isNullableString(client.name) || !isNullableString(client.version)) return null;
  if (attributes === null || typeof attributes !== 'object' || Array.isArray(attributes)) return null;
  if (!Object.values(attributes).every((v) => typeof v === 'string')) return null;
  return Object.freeze({
    subject,
    roles: Object.freeze([...roles]) as string[],
    scopes: Object.freeze([...scopes]) as string[],
    grantedPurposes: Object.freeze([...grantedPurposes]) as string[],
    purpose,
    client: Object.freeze({ name: client.name, version: client.version }),
    attributes: Object.freeze({ ...attributes }),
  });
}

function mac(secret: string, timestamp: string, nonce: string, principal: string, body: RequestBody): Buffer {
  return createHmac('sha256', secret)
    .update(`${CANONICAL_PREFIX}${timestamp}\n${nonce}\n${principal}\n`, 'utf8')
    .update(body)
    .digest();
}

/**
 * The signature headers for a principal already in its header form. The gateway's fetcher uses
 * this, signing the principal header and the body exactly as they are about to be sent.
 */
export function signEncoded(args: { body: RequestBody; principal: string; secret: string; now?: number; nonce?: string }): Record<string, string> {
  const timestamp = String(Math.floor(args.now ?? Date.now()));
  const nonce = args.nonce ?? randomBytes(16).toString('base64url');
  return {
    [SIGNATURE_HEADERS.timestamp]: timestamp,
    [SIGNATURE_HEADERS.nonce]: nonce,
    [SIGNATURE_HEADERS.principal]: args.principal,
    [SIGNATURE_HEADERS.signature]: SIGNATURE_PREFIX + mac(args.secret, timestamp, nonce, args.principal, args.body).toString('base64url'),
  };
}

/** The headers that sign `body` as sent by the gateway on behalf of `principal`. */
export function signSubgraphRequest(args: { body: RequestBody; principal: Principal; secret: string; now?: number }): Record<string, string> {
  return signEncoded({ body: args.body, principal: encodePrincipal(args.principal), secret: args.secret, now: args.now });
}

/**
 * Nonces of accepted requests, each kept until its timestamp leaves the window (after that the
 * timestamp check refuses the request anyway). Bounded: when full, the oldest nonce is dropped
 * and every request signed at or before its timestamp is refused from then on as too old to
 * check, so a full cache refuses old requests rather than letting a replay through.
 */
export interface ReplayCache {
  readonly windowMs: number;
  readonly size: number;
  /** Records a nonce; `replayed` if it was seen, `too-old` if it is older than what the cache can still check. */
  remember(nonce: string, timestamp: number, now: number): 'fresh' | 'replayed' | 'too-old';
}

export function createReplayCache(options: { windowMs?: number; maxEntries?: number } = {}): ReplayCache {
  const windowMs = options.windowMs ?? DEFAULT_SIGNATURE_WINDOW_MS;
  const maxEntries = options.maxEntries ?? DEFAULT_REPLAY_CACHE_ENTRIES;
  if (!(windowMs > 0) || !(maxEntries > 0)) throw new MeshgateError('CONFIG_INVALID', 'replay cache window and size must be positive');
  // Insertion order is close to timestamp order (the gateway signs just before sending), so
  // expired nonces are found at the front.
  const seen = new Map<string, number>();
  let floor = -Infinity;
  const evictExpired = (now: number) => {
    for (const [nonce, timestamp] of seen) {
      if (timestamp + windowMs >= now) break;
      seen.delete(nonce);
    }
  };
  return {
    windowMs,
    get size() {
      return seen.size;
    },
    remember(nonce, timestamp, now) {
      evictExpired(now);
      if (seen.has(nonce)) return 'replayed';
      if (timestamp <= floor) return 'too-old';
      while (seen.size >= maxEntries) {
        const [oldest, oldestTimestamp] = seen.entries().next().value as [string, number];
        seen.delete(oldest);
        floor = Math.max(floor, oldestTimestamp);
      }
      seen.set(nonce, timestamp);
      return 'fresh';
    },
  };
}

export type VerifyResult = { ok: true; principal: Principal } | { ok: false; code: SignatureErrorCode; message: string };

type HeaderBag = Record<string, string | string[] | undefined>;

function headerOf(headers: HeaderBag, name: string): string | undefined {
  let value = headers[name];
  if (value === undefined) {
    const key = Object.keys(headers).find((k) => k.toLowerCase() === name);
    value = key === undefined ? undefined : headers[key];
  }
  return typeof value === 'string' ? value : undefined;
}

const refuse = (code: SignatureErrorCode, message: string): VerifyResult => ({ ok: false, code, message });

/**
 * Checks a subgraph request's signature: present and well-formed, made with `secret` over this
 * body and principal, signed within the replay cache's window of `now`, and never seen before.
 * Only a request that passes every check has its nonce remembered. Messages name the check
 * that failed, never a header's value.
 */
export function verifySubgraphRequest(args: {
  headers: HeaderBag;
  body: RequestBody;
  secret: string;
  replayCache: ReplayCache;
  now?: number;
}): VerifyResult {
  const now = args.now ?? Date.now();
  const timestamp = headerOf(args.headers, SIGNATURE_HEADERS.timestamp);
  const nonce = headerOf(args.headers, SIGNATURE_HEADERS.nonce);
  const principal = headerOf(args.headers, SIGNATURE_HEADERS.principal);
  const signature = headerOf(args.headers, SIGNATURE_HEADERS.signature);
  if (signature === undefined) return refuse('SIGNATURE_INVALID', 'request is not signed by the gateway');
  if (timestamp === undefined || nonce === undefined || principal === undefined) {
    return refuse('SIGNATURE_INVALID', 'signed request lacks its timestamp, nonce or principal header');
  }
  if (!TIMESTAMP_FORMAT.test(timestamp) || !NONCE_FORMAT.test(nonce) || !BASE64URL_FORMAT.test(principal) || principal.length > MAX_PRINCIPAL_HEADER_BYTES) {
    return refuse('SIGNATURE_INVALID', 'malformed signature headers');
  }
  if (!signature.startsWith(SIGNATURE_PREFIX) || !BASE64URL_FORMAT.test(signature.slice(SIGNATURE_PREFIX.length))) {
    return refuse('SIGNATURE_INVALID', 'malformed signature');
  }
  const given = Buffer.from(signature.slice(SIGNATURE_PREFIX.length), 'base64url');
  const expected = mac(args.secret, timestamp, nonce, principal, args.body);
  // HMAC-SHA256 is always 32 bytes: comparing lengths first reveals nothing about the secret.
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    return refuse('SIGNATURE_INVALID', 'signature does not match the request');
  }
  const signedAt = Number(timestamp);
  if (Math.abs(now - signedAt) > args.replayCache.windowMs) {
    return refuse('SIGNATURE_EXPIRED', `request was signed outside the accepted window of ${args.replayCache.windowMs / 1000} s`);
  }
  const decoded = decodePrincipal(principal);
  if (!decoded) return refuse('SIGNATURE_INVALID', 'malformed forwarded principal');
  const seen = args.replayCache.remember(nonce, signedAt, now);
  if (seen === 'replayed') return refuse('REPLAYED_REQUEST', 'request was already accepted once (replayed nonce)');
  if (seen === 'too-old') return refuse('SIGNATURE_EXPIRED', 'request is older than the replay check can still vouch for');
  return { ok: true, principal: decoded };
}
