import { errors, jwtVerify, type JWTPayload, type JWTVerifyOptions } from 'jose';
import type { Logger } from '../../shared/logger';
import { KeySetUnavailable, type KeyMaterial } from './keys';
import { authUnavailable, unauthenticated } from './refusals';
import type { AuthSettings } from './settings';

/** Seconds of clock skew tolerated between the token issuer and the gateway for `exp`/`nbf`/`iat`. */
export const CLOCK_TOLERANCE_SEC = 30;

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
  return async (token) => {
    try {
      const { payload } = keys.kind === 'secret' ? await jwtVerify(token, keys.key, options) : await jwtVerify(token, keys.key, options);
      return payload;
    } catch (err) {
      throw refusal(err, logger);
    }
  };
}
