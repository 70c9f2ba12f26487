import type { IncomingHttpHeaders } from 'node:http';
import type { JWTPayload } from 'jose';
import { ANONYMOUS, type Principal } from '../../shared/principal';
import { unauthenticated } from './refusals';

function header(headers: IncomingHttpHeaders, name: string): string | null {
  const value = headers[name];
  const text = (Array.isArray(value) ? value.join(', ') : value)?.trim();
  return text ? text : null;
}

/** A list claim: a JSON array of strings, or one space-separated string (OAuth `scope` style). */
function list(claims: JWTPayload, name: string): string[] {
  const value = claims[name];
  if (value === undefined || value === null) return [];
  if (typeof value === 'string') return value.split(/\s+/).filter(Boolean);
  // A copy: verified claims are cached and shared by every request presenting the same token.
  if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return [...value];
  throw unauthenticated('TOKEN_CLAIMS', `the token's "${name}" claim must be a list of strings or a space-separated string`);
}

function text(claims: JWTPayload, name: string): string | null {
  const value = claims[name];
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string' || value === '') throw unauthenticated('TOKEN_CLAIMS', `the token's "${name}" claim must be a non-empty string`);
  return value;
}

/** The calling application: a token's `client_id`/`azp` outranks the self-declared Apollo client headers. */
function client(headers: IncomingHttpHeaders, claims: JWTPayload = {}): Principal['client'] {
  return {
    name: text(claims, 'client_id') ?? text(claims, 'azp') ?? header(headers, 'apollographql-client-name'),
    version: header(headers, 'apollographql-client-version'),
  };
}

/** The principal of a caller without a token; a declared purpose is kept so it can be refused. */
export function anonymousPrincipal(headers: IncomingHttpHeaders): Principal {
  return { ...ANONYMOUS, client: client(headers), purpose: header(headers, 'x-purpose'), attributes: {} };
}

/** Maps verified claims to the principal. The `x-purpose` header outranks a `purpose` claim. */
export function principalFromClaims(claims: JWTPayload, headers: IncomingHttpHeaders): Principal {
  const subject = text(claims, 'sub');
  if (!subject) throw unauthenticated('TOKEN_CLAIMS', 'the token has no "sub" claim');
  const customerId = text(claims, 'customer_id');
  return {
    subject,
    roles: list(claims, 'roles'),
    scopes: list(claims, 'scope'),
    grantedPurposes: list(claims, 'purposes'),
    purpose: header(headers, 'x-purpose') ?? text(claims, 'purpose'),
    client: client(headers, claims),
    attributes: customerId ? { customerId } : {},
  };
}
