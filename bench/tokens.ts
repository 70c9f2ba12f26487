import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { DEFAULT_AUDIENCE, DEFAULT_ISSUER } from '../gateway/auth/settings';
import type { BenchPrincipal } from './workloads';

export interface TokenIssuer {
  /** The public key set the governed gateway verifies with (`meshgate.auth.jwks_file`). */
  jwksFile: string;
  /** One caller's headers: its bearer token and declared purpose. */
  headersOf(name: string): Record<string, string>;
}

/**
 * An identity provider for this run: a fresh RS256 key pair, its public half as a JWKS file in
 * `dir` (as in production) and one token per principal with the gateway's default issuer and
 * audience, valid for the run.
 */
export async function issueTokens(dir: string, principals: BenchPrincipal[]): Promise<TokenIssuer> {
  const { publicKey, privateKey } = await generateKeyPair('RS256', { extractable: true });
  const kid = randomUUID();
  const jwksFile = path.join(dir, 'bench-jwks.json');
  fs.writeFileSync(jwksFile, JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' }] }));
  const headers = new Map<string, Record<string, string>>();
  for (const p of principals) {
    const token = await new SignJWT({ ...p.claims })
      .setProtectedHeader({ alg: 'RS256', kid })
      .setIssuer(DEFAULT_ISSUER)
      .setAudience(DEFAULT_AUDIENCE)
      .setIssuedAt()
      .setExpirationTime('6h')
      .sign(privateKey);
    headers.set(p.name, { authorization: `Bearer ${token}`, ...(p.purpose && { 'x-purpose': p.purpose }) });
  }
  return {
    jwksFile,
    headersOf(name) {
      const found = headers.get(name);
      if (!found) throw new Error(`no bench principal "${name}"`);
      return found;
    },
  };
}
