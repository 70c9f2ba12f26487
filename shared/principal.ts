/**
 * Who is asking, as the gateway established it from the bearer token. Forwarded to subgraphs
 * (signed) so row-level rules can run where the data is.
 */
export interface Principal {
  /** The token's `sub`; null for an anonymous caller. */
  subject: string | null;
  roles: string[];
  /** OAuth scopes from the token's `scope` claim (Apollo Router semantics for `@requiresScopes`). */
  scopes: string[];
  /** Purposes the token allows the caller to declare. */
  grantedPurposes: string[];
  /** The purpose declared for this request (claim or `x-purpose` header), if any. */
  purpose: string | null;
  /** The calling application, from the token's client claim or the `apollographql-client-name` header. */
  client: { name: string | null; version: string | null };
  /** Attributes row-level rules use, e.g. `customerId` for a customer principal. */
  attributes: Record<string, string>;
}

export const ANONYMOUS: Principal = Object.freeze({
  subject: null,
  roles: [],
  scopes: [],
  grantedPurposes: [],
  purpose: null,
  client: { name: null, version: null },
  attributes: {},
}) as Principal;

export function isAnonymous(principal: Principal): boolean {
  return principal.subject === null;
}
