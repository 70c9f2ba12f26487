import { createLogger, type Logger } from '../../shared/logger';
import { anonymousPrincipal, principalFromClaims } from '../auth/claims';
import { resolveKeys } from '../auth/keys';
import { forbidden, unauthenticated } from '../auth/refusals';
import { parseAuthSettings } from '../auth/settings';
import { createTokenVerifier } from '../auth/verify-token';
import type { MeshgatePlugin } from './types';

export interface AuthenticateOptions {
  /** The `meshgate.auth` section of supergraph.yaml (`config.settings.auth`); absent = defaults. */
  settings?: unknown;
  /** The folder a relative `jwks_file` resolves against (`config.baseDir`); default the working directory. */
  baseDir?: string;
  /** Whether callers without a token are served as ANONYMOUS: pass the policy's `anonymous`. Default `meshgate.auth.anonymous`, else 'deny'. */
  anonymous?: 'allow' | 'deny';
  /** Where `MESHGATE_JWT_SECRET` and `NODE_ENV` are read (default `process.env`). */
  env?: NodeJS.ProcessEnv;
  logger?: Logger;
}

const BEARER = /^Bearer +([A-Za-z0-9_.~+/-]+=*) *$/i;

/**
 * The authenticate step: verifies the bearer token and sets `context.principal`, or refuses the
 * request (UNAUTHENTICATED 401, FORBIDDEN 403 for an ungranted purpose) before any subgraph is
 * asked. Throws CONFIG_INVALID at construction for bad settings or, in production, missing keys.
 */
export function useAuthenticate(options: AuthenticateOptions = {}): MeshgatePlugin {
  const logger = options.logger ?? createLogger('authenticate');
  const settings = parseAuthSettings(options.settings, options.baseDir ?? process.cwd());
  const keys = resolveKeys(settings, options.env ?? process.env);
  if (keys.kind === 'none') {
    logger.warn('no token verification key: every bearer token is refused (UNAUTHENTICATED); set MESHGATE_JWT_SECRET (development) or meshgate.auth.jwks_url');
  }
  const verify = createTokenVerifier(keys, settings, logger);
  const anonymous = options.anonymous ?? settings.anonymous ?? 'deny';

  return {
    name: 'authenticate',
    async prepareContext(req, context) {
      const authorization = req.headers.authorization;
      if (authorization === undefined) {
        if (anonymous === 'deny') throw unauthenticated('MISSING_TOKEN', 'this gateway requires a bearer token (Authorization: Bearer <token>)');
        context.principal = anonymousPrincipal(req.headers);
      } else {
        const token = BEARER.exec(authorization)?.[1];
        if (!token) throw unauthenticated('MALFORMED_AUTHORIZATION', 'the Authorization header must be "Bearer <token>"');
        context.principal = principalFromClaims(await verify(token), req.headers);
      }
      const { purpose, grantedPurposes } = context.principal;
      if (purpose !== null && !grantedPurposes.includes(purpose)) {
        throw forbidden('PURPOSE_NOT_GRANTED', `purpose "${purpose}" is not granted to this caller`);
      }
    },
  };
}
