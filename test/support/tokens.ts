import { SignJWT, type CryptoKey, type JWTPayload } from 'jose';

/** A development secret for tests (HS256 needs at least 32 characters). */
export const TEST_JWT_SECRET = 'test-only-jwt-secret-0123456789abcdefghijklmnop';

export interface TokenOptions {
  /** HMAC secret (default TEST_JWT_SECRET) or an asymmetric private key. */
  key?: string | CryptoKey;
  alg?: string;
  kid?: string;
  issuer?: string;
  audience?: string;
  /** Seconds from now; negative for an expired token. */
  expiresIn?: number;
  /** Seconds from now for `nbf` (default: no nbf). */
  notBefore?: number;
}

/** Signs a token the way an identity provider would (defaults: HS256, issuer meshgate-dev, audience meshgate, 1 h). */
export async function signToken(claims: JWTPayload, options: TokenOptions = {}): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const jwt = new SignJWT(claims)
    .setProtectedHeader({ alg: options.alg ?? 'HS256', ...(options.kid && { kid: options.kid }) })
    .setIssuer(options.issuer ?? 'meshgate-dev')
    .setAudience(options.audience ?? 'meshgate')
    .setIssuedAt(now)
    .setExpirationTime(now + (options.expiresIn ?? 3600));
  if (options.notBefore !== undefined) jwt.setNotBefore(now + options.notBefore);
  const key = options.key ?? TEST_JWT_SECRET;
  return jwt.sign(typeof key === 'string' ? new TextEncoder().encode(key) : key);
}

/** An unsigned token (`alg: none`), crafted by hand: jose refuses to make one for verification use. */
export function unsignedToken(claims: JWTPayload): string {
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  return `${part({ alg: 'none', typ: 'JWT' })}.${part({ iss: 'meshgate-dev', aud: 'meshgate', iat: now, exp: now + 3600, ...claims })}.`;
}
