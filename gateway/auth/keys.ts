import fs from 'node:fs';
import { createLocalJWKSet, createRemoteJWKSet, errors, type JSONWebKeySet, type JWTVerifyGetKey } from 'jose';
import { MeshgateError } from '../../shared/errors';
import { MIN_SECRET_LENGTH } from '../../shared/signing';
import type { AuthSettings } from './settings';

const ASYMMETRIC = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512'];
const SYMMETRIC = ['HS256', 'HS384', 'HS512'];
/** HS256 needs at least 256 bits of key; a shorter secret is guessable offline from any token. */

/** What tokens are verified with. Only one family at a time: an HS token never meets an RSA key. */
export type KeyMaterial =
  | { kind: 'secret'; key: Uint8Array; algorithms: string[] }
  | { kind: 'jwks'; key: JWTVerifyGetKey; algorithms: string[]; source: string }
  | { kind: 'none' };

/** The remote key set could not be fetched or was invalid: no token can be judged, so it is not the token's fault. */
export class KeySetUnavailable extends Error {
  constructor(readonly source: string, cause: unknown) {
    super(`key set at ${source} is unavailable: ${(cause as Error)?.message ?? String(cause)}`, { cause });
    this.name = 'KeySetUnavailable';
  }
}

/** Errors about the token (no key with its `kid`/`alg`) pass through; any other failure is the key source's. */
function remoteKeySet(url: string): JWTVerifyGetKey {
  const keySet = createRemoteJWKSet(new URL(url), { timeoutDuration: 5_000 });
  return async (header, token) => {
    try {
      return await keySet(header, token);
    } catch (err) {
      if (err instanceof errors.JWKSNoMatchingKey || err instanceof errors.JWKSMultipleMatchingKeys || err instanceof errors.JOSENotSupported) throw err;
      throw new KeySetUnavailable(url, err);
    }
  };
}

function invalid(message: string): never {
  throw new MeshgateError('CONFIG_INVALID', message);
}

function algorithmsFor(settings: AuthSettings, family: string[], fallback: string[], familyName: string): string[] {
  const algorithms = settings.algorithms ?? fallback;
  const foreign = algorithms.filter((a) => !family.includes(a));
  if (foreign.length) invalid(`meshgate.auth.algorithms: ${foreign.join(', ')} not accepted with ${familyName} (choose from ${family.join(', ')})`);
  return algorithms;
}

function readJwksFile(file: string): JSONWebKeySet {
  let jwks: JSONWebKeySet;
  try {
    jwks = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    return invalid(`meshgate.auth.jwks_file: cannot read a JSON key set from ${file} (${(err as Error).message.split('\n')[0]})`);
  }
  if (!Array.isArray(jwks?.keys) || jwks.keys.length === 0) invalid(`meshgate.auth.jwks_file: ${file} must be a JWKS: { "keys": [ ...public keys ] }`);
  if (jwks.keys.some((k) => 'd' in k || 'k' in k)) invalid(`meshgate.auth.jwks_file: ${file} contains private or symmetric key material; publish public keys only`);
  return jwks;
}

/**
 * Builds the verification keys from `meshgate.auth` and the environment. A JWKS (URL or file)
 * wins over `MESHGATE_JWT_SECRET`; production (`NODE_ENV=production`) requires a JWKS.
 * `MESHGATE_JWKS_URL` overrides `meshgate.auth.jwks_url` (URLs come from the environment in deployments).
 */
export function resolveKeys(configured: AuthSettings, env: NodeJS.ProcessEnv = process.env): KeyMaterial {
  const settings = env.MESHGATE_JWKS_URL ? { ...configured, jwksUrl: env.MESHGATE_JWKS_URL, jwksFile: undefined } : configured;
  if (settings.jwksUrl || settings.jwksFile) {
    const algorithms = algorithmsFor(settings, ASYMMETRIC, ['RS256', 'ES256'], 'a JWKS');
    if (settings.jwksUrl) {
      if (env.NODE_ENV === 'production' && !settings.jwksUrl.startsWith('https://')) invalid('meshgate.auth.jwks_url must be an https URL in production');
      return { kind: 'jwks', key: remoteKeySet(settings.jwksUrl), algorithms, source: settings.jwksUrl };
    }
    const file = settings.jwksFile!;
    const jwks = readJwksFile(file);
    try {
      return { kind: 'jwks', key: createLocalJWKSet(jwks), algorithms, source: file };
    } catch (err) {
      return invalid(`meshgate.auth.jwks_file: ${file} is not a valid JWKS (${(err as Error).message})`);
    }
  }
  if (env.NODE_ENV === 'production') {
    invalid('no token verification keys: in production set meshgate.auth.jwks_url (or meshgate.auth.jwks_file) in supergraph.yaml to your identity provider\'s public key set');
  }
  const secret = env.MESHGATE_JWT_SECRET;
  if (secret === undefined || secret === '') return { kind: 'none' };
  if (secret.length < MIN_SECRET_LENGTH) invalid(`MESHGATE_JWT_SECRET must be at least ${MIN_SECRET_LENGTH} characters`);
  return { kind: 'secret', key: new TextEncoder().encode(secret), algorithms: algorithmsFor(settings, SYMMETRIC, ['HS256'], 'MESHGATE_JWT_SECRET') };
}
