import path from 'node:path';
import { SignJWT } from 'jose';
import { dataDirOf, devJwtSecret, DEV_JWT_SECRET_FILE } from '../../gateway/auth/dev-secrets';
import { DEFAULT_AUDIENCE, DEFAULT_ISSUER } from '../../gateway/auth/settings';
import { MeshgateError } from '../../shared/errors';
import { parseFlags, UsageError } from '../args';

export const help = `meshgate token --sub alice --roles analyst[,support] [--purpose customer-support ...] [--scope "a b"] [--customer-id C000001] [--ttl 1h] [--client name] [--issuer meshgate-dev] [--audience meshgate]

Mints a development bearer token (HS256) and prints only the token. The secret is
MESHGATE_JWT_SECRET, else <MESHGATE_DATA_DIR or .data>/${DEV_JWT_SECRET_FILE} (\`meshgate start\` creates it).
--purpose (repeatable or comma-separated) grants purposes; the caller declares one per request
with the x-purpose header. --ttl takes seconds or 30s, 15m, 1h, 7d. Refused in production.
Use it: curl -H "authorization: Bearer $(npm run -s meshgate -- token --sub alice --roles analyst)" …`;

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };

function ttlSeconds(value: string): number {
  const match = /^(\d+)([smhd]?)$/.exec(value.trim());
  if (!match || Number(match[1]) === 0) throw new UsageError(`--ttl must be a positive duration like 3600, 30m, 1h or 7d, got "${value}"`);
  return Number(match[1]) * UNIT_SECONDS[match[2] || 's'];
}

const commaList = (values: string[] = []) => values.flatMap((v) => v.split(',')).map((v) => v.trim()).filter(Boolean);

export async function run(argv: string[]): Promise<number> {
  const { values } = parseFlags(
    argv,
    {
      sub: { type: 'string' },
      roles: { type: 'string', multiple: true },
      purpose: { type: 'string', multiple: true },
      scope: { type: 'string' },
      'customer-id': { type: 'string' },
      ttl: { type: 'string' },
      client: { type: 'string' },
      issuer: { type: 'string' },
      audience: { type: 'string' },
    },
    'token',
  );
  if (!values.sub) throw new UsageError('--sub is required (the subject, e.g. --sub alice)');
  if (process.env.NODE_ENV === 'production') {
    throw new MeshgateError('CONFIG_INVALID', 'meshgate token mints development tokens and is disabled in production (NODE_ENV=production); get tokens from your identity provider');
  }
  const secret = devJwtSecret();
  if (!secret) {
    throw new MeshgateError('CONFIG_INVALID', `no development token secret: set MESHGATE_JWT_SECRET, or run \`meshgate start\` once to create ${path.join(dataDirOf(), DEV_JWT_SECRET_FILE)}`);
  }
  const ttl = ttlSeconds(values.ttl ?? '1h');
  const purposes = commaList(values.purpose);
  const claims = {
    roles: commaList(values.roles),
    ...(purposes.length && { purposes }),
    ...(values.scope && { scope: values.scope.trim() }),
    ...(values['customer-id'] && { customer_id: values['customer-id'] }),
    ...(values.client && { client_id: values.client }),
  };
  const now = Math.floor(Date.now() / 1000);
  const token = await new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(values.sub)
    .setIssuer(values.issuer ?? DEFAULT_ISSUER)
    .setAudience(values.audience ?? DEFAULT_AUDIENCE)
    .setIssuedAt(now)
    .setNotBefore(now)
    .setExpirationTime(now + ttl)
    .sign(new TextEncoder().encode(secret));
  process.stdout.write(`${token}\n`);
  return 0;
}
