import path from 'node:path';
import { MeshgateError } from '../../shared/errors';

/** The `meshgate.auth` section of supergraph.yaml, validated. */
export interface AuthSettings {
  jwksUrl?: string;
  /** Absolute path of a JWKS file (public keys only). */
  jwksFile?: string;
  issuer: string;
  audience: string | string[];
  anonymous?: 'allow' | 'deny';
  algorithms?: string[];
}

export const DEFAULT_ISSUER = 'meshgate-dev';
export const DEFAULT_AUDIENCE = 'meshgate';

const KNOWN = ['jwks_url', 'jwks_file', 'issuer', 'audience', 'anonymous', 'algorithms'];

function invalid(message: string): never {
  throw new MeshgateError('CONFIG_INVALID', `meshgate.auth.${message}`);
}

function text(raw: Record<string, unknown>, key: string): string | undefined {
  const value = raw[key];
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.trim() === '') invalid(`${key} must be a non-empty string, got ${JSON.stringify(value)}`);
  return value;
}

function textList(raw: Record<string, unknown>, key: string): string[] | undefined {
  const value = raw[key];
  if (value === undefined || typeof value === 'string') return value === undefined ? undefined : [text(raw, key)!];
  if (!Array.isArray(value) || value.length === 0 || !value.every((v) => typeof v === 'string' && v.trim() !== '')) {
    invalid(`${key} must be a string or a non-empty list of strings, got ${JSON.stringify(value)}`);
  }
  return value;
}

/** Validates `meshgate.auth` (absent = defaults); relative `jwks_file` resolves against `baseDir`. */
export function parseAuthSettings(raw: unknown, baseDir: string): AuthSettings {
  if (raw === undefined || raw === null) return { issuer: DEFAULT_ISSUER, audience: DEFAULT_AUDIENCE };
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    throw new MeshgateError('CONFIG_INVALID', 'meshgate.auth must be a mapping { jwks_url, jwks_file, issuer, audience, anonymous, algorithms }');
  }
  const section = raw as Record<string, unknown>;
  for (const key of Object.keys(section)) {
    if (/secret/i.test(key)) invalid(`${key}: the HS256 secret comes only from the MESHGATE_JWT_SECRET environment variable, never from a file`);
    if (!KNOWN.includes(key)) invalid(`${key} is not a setting (known: ${KNOWN.join(', ')})`);
  }
  const jwksUrl = text(section, 'jwks_url');
  if (jwksUrl !== undefined && !/^https?:\/\/\S+$/.test(jwksUrl)) invalid(`jwks_url must be an http(s) URL, got ${JSON.stringify(jwksUrl)}`);
  const jwksFile = text(section, 'jwks_file');
  if (jwksUrl && jwksFile) invalid('jwks_url and meshgate.auth.jwks_file: give one key source, not both');
  const anonymous = section.anonymous;
  if (anonymous !== undefined && anonymous !== 'allow' && anonymous !== 'deny') invalid(`anonymous must be allow or deny, got ${JSON.stringify(anonymous)}`);
  const audience = textList(section, 'audience');
  return {
    ...(jwksUrl && { jwksUrl }),
    ...(jwksFile && { jwksFile: path.resolve(baseDir, jwksFile) }),
    issuer: text(section, 'issuer') ?? DEFAULT_ISSUER,
    audience: audience ? (audience.length === 1 ? audience[0] : audience) : DEFAULT_AUDIENCE,
    ...(anonymous !== undefined && { anonymous }),
    ...(section.algorithms !== undefined && { algorithms: textList(section, 'algorithms') }),
  };
}
