import { errors, jwtVerify, type JWTPayload, type JWTVerifyOptions } from 'jose';
import type { Logger } from '../../shared/logger';
import { KeySetUnavailable, type KeyMaterial } from './keys';
import { authUnavailable, unauthenticated } from './refusals';
import type { AuthSettings } from './settings';

/** Seconds of clock skew tolerated between the token issuer and the gateway for `exp`/`nbf`/`iat`. */
export const CLOCK_TOLERANCE_SEC = 30;

/** Verified tokens kept at most this long, so a rotated or revoked key takes effect within a minute. */
export const TOKEN_CACHE_TTL_MS = 60_000;
/** Distinct verified tokens kept; past it the oldest entry goes. */
export const TOKEN_CACHE_MAX = 10_000;

/** Verifies a compact JWS and returns its claims, or throws the GraphQL error that refuses the request. */
export type VerifyToken = (token: string) => Promise<JWTPayload>;

function refusal(err: unknown, logger?: Logger) {
  if (err instanceof KeySetUnavailable) {
    logger?.error({ source: err.source, cause: (err.cause as Error)?.message }, 'token verification key set unavailable');
    return authUnavailable("cannot verify tokens right now: the identity provider's key set is unavailable");
  }
  if (err instanceof errors.JWTExpired) return unauthenticated('TOKEN_EXPIRED', 'the token has expired');
  if (err instanceof errors.JWTClaimValidationFailed) {
    if (err.claim === 'nbf') return unauthenticated('TOKEN_NOT_YET_VALID', 'the token is not valid yet (nbf)');
    if (err.claim === 'iss') return unauthenticated('TOKEN_ISSUER', 'the token was issued by an issuer this gateway does not accept');
    if (err.claim === 'aud') return unauthenticated('TOKEN_AUDIENCE', 'the token is for another audience');
    return unauthenticated('TOKEN_CLAIMS', `the token's "${err.claim}" claim is missing or invalid`);
  }
  if (err instanceof errors.JOSEAlgNotAllowed || err instanceof errors.JOSENotSupported) return unauthenticated('TOKEN_ALGORITHM', "the token's signing algorithm is not accepted");
  if (err instanceof errors.JWSSignatureVerificationFailed || err instanceof errors.JWKSNoMatchingKey || err instanceof errors.JWKSMultipleMatchingKeys) {
    return unauthenticated('TOKEN_SIGNATURE', 'the token signature does not verify with the configured keys');
  }
  if (err instanceof errors.JOSEError) return unauthenticated('TOKEN_MALFORMED', 'the token is not a well-formed signed JWT');
  return err;
}

/** A verifier for the configured key family: issuer, audience, `exp` and `sub` required, `nbf` honoured. */
export function createTokenVerifier(keys: KeyMaterial, settings: Pick<AuthSettings, 'issuer' | 'audience'>, logger?: Logger): VerifyToken {
  if (keys.kind === 'none') {
    return async () => {
      throw unauthenticated('NO_VERIFICATION_KEY', 'this gateway has no key to verify tokens with, so it accepts none');
    };
  }
  const options: JWTVerifyOptions = {
    issuer: settings.issuer,
    audience: settings.audience,
    algorithms: keys.algorithms,
    clockTolerance: CLOCK_TOLERANCE_SEC,
    requiredClaims: ['exp', 'sub'],
  };
  const cache = createVerifiedTokenCache();
  return async (token) => {
    const cached = cache.get(token);
    if (cached) return cached;
    try {
      const { payload } = keys.kind === 'secret' ? await jwtVerify(token, keys.key, options) : await jwtVerify(token, keys.key, options);
      cache.set(token, payload);
      return payload;
    } catch (err) {
      throw refusal(err, logger);
    }
  };
}

interface CachedToken {
  payload: JWTPayload;
  /** Epoch ms after which the entry is verified again (at most TOKEN_CACHE_TTL_MS after it was cached). */
  until: number;
}

/**
 * Claims of tokens that verified, keyed by the exact token string: a client repeats its token on
 * every request, and the signature check is the authenticate step's main cost. Only successes are
 * cached (a forged token costs a full verification every time). A hit re-checks `exp` as jose
 * does (same clock tolerance); an expired or stale entry is dropped and the token verified afresh,
 * so the refusal is jose's own.
 */
function createVerifiedTokenCache() {
  const entries = new Map<string, CachedToken>();
  return {
    get(token: string): JWTPayload | undefined {
      const entry = entries.get(token);
      if (!entry) return undefined;
      const now = Date.now();
      if (now >= entry.until || isExpired(entry.payload, now)) {
        entries.delete(token);
        return undefined;
      }
      return entry.payload;
    },
    set(token: string, payload: JWTPayload): void {
      if (entries.size >= TOKEN_CACHE_MAX) entries.delete(entries.keys().next().value!);
      // Frozen: the same claims object is handed to every request that presents this token.
      entries.set(token, { payload: Object.freeze(payload), until: Date.now() + TOKEN_CACHE_TTL_MS });
    },
  };
}

/** jose's `exp` rule: expired when exp <= now - tolerance, in whole seconds. */
function isExpired(payload: JWTPayload, nowMs: number): boolean {
  return typeof payload.exp !== 'number' || payload.exp <= Math.floor(nowMs / 1000) - CLOCK_TOLERANCE_SEC;
}
