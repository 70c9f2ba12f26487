import { HeaderMap } from '@apollo/server';
import { graphqlError } from '../../shared/errors';

/** Why a request was refused, in `extensions.reason`: stable, for clients and logs. */
export type RefusalReason =
  | 'MISSING_TOKEN'
  | 'MALFORMED_AUTHORIZATION'
  | 'TOKEN_MALFORMED'
  | 'TOKEN_ALGORITHM'
  | 'TOKEN_SIGNATURE'
  | 'TOKEN_EXPIRED'
  | 'TOKEN_NOT_YET_VALID'
  | 'TOKEN_ISSUER'
  | 'TOKEN_AUDIENCE'
  | 'TOKEN_CLAIMS'
  | 'NO_VERIFICATION_KEY'
  | 'PURPOSE_NOT_GRANTED'
  | 'KEYS_UNAVAILABLE';

/** 401 with `WWW-Authenticate: Bearer` (RFC 6750). Messages never contain the token. */
export function unauthenticated(reason: RefusalReason, message: string) {
  const challenge = reason === 'MISSING_TOKEN' ? 'Bearer' : `Bearer error="invalid_token"`;
  return graphqlError('UNAUTHENTICATED', message, { reason, http: { status: 401, headers: new HeaderMap([['www-authenticate', challenge]]) } });
}

export function forbidden(reason: RefusalReason, message: string) {
  return graphqlError('FORBIDDEN', message, { reason, http: { status: 403 } });
}

export function authUnavailable(message: string) {
  return graphqlError('AUTH_UNAVAILABLE', message, { reason: 'KEYS_UNAVAILABLE', http: { status: 503 } });
}
