import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { MeshgateError } from '../../shared/errors';
import { MIN_SECRET_LENGTH } from '../../shared/signing';

export const DEV_JWT_SECRET_FILE = 'dev-jwt-secret';
export const DEV_SUBGRAPH_SECRET_FILE = 'dev-subgraph-secret';

export interface DevSecrets {
  /** Signs and verifies development bearer tokens (HS256); becomes `MESHGATE_JWT_SECRET`. */
  jwtSecret: string;
  /** Signs the principal the gateway forwards to subgraphs; becomes `MESHGATE_SUBGRAPH_SECRET`. */
  subgraphSecret: string;
}

/** The git-ignored folder for local state (`MESHGATE_DATA_DIR`, default `.data`). */
export function dataDirOf(env: NodeJS.ProcessEnv = process.env): string {
  return env.MESHGATE_DATA_DIR || path.resolve('.data');
}

function readSecret(file: string): string {
  const secret = fs.readFileSync(file, 'utf8').trim();
  if (secret.length < MIN_SECRET_LENGTH) throw new MeshgateError('CONFIG_INVALID', `${file} holds no usable secret (under ${MIN_SECRET_LENGTH} characters); delete it to have a new one made`);
  return secret;
}

/** Reads a secret file, creating it first (32 random bytes, base64url, mode 0600) if it does not exist. */
function ensureSecret(file: string): string {
  try {
    fs.writeFileSync(file, `${randomBytes(32).toString('base64url')}\n`, { mode: 0o600, flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  return readSecret(file);
}

/** Creates, once, the development secrets in the data folder and returns them. Never log them. */
export function ensureDevSecrets(dataDir: string): DevSecrets {
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  return {
    jwtSecret: ensureSecret(path.join(dataDir, DEV_JWT_SECRET_FILE)),
    subgraphSecret: ensureSecret(path.join(dataDir, DEV_SUBGRAPH_SECRET_FILE)),
  };
}

/** The development token secret: `MESHGATE_JWT_SECRET`, else the data folder's file; null if neither exists. */
export function devJwtSecret(env: NodeJS.ProcessEnv = process.env): string | null {
  const secret = env.MESHGATE_JWT_SECRET;
  if (secret && secret.length < MIN_SECRET_LENGTH) throw new MeshgateError('CONFIG_INVALID', `MESHGATE_JWT_SECRET must be at least ${MIN_SECRET_LENGTH} characters`);
  if (secret) return secret;
  const file = path.join(dataDirOf(env), DEV_JWT_SECRET_FILE);
  return fs.existsSync(file) ? readSecret(file) : null;
}
