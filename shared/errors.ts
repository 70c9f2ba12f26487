import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import type { Logger } from './logger';

/**
 * Every error code Meshgate emits, defined once with what it means. GraphQL errors carry the
 * code in `extensions.code`; CLI errors print it beside the message.
 */
export const ERROR_CODES = {
  BAD_USER_INPUT: 'An argument is invalid (page size over the maximum, malformed cursor, bad date).',
  NOT_FOUND: 'The requested entity does not exist.',
  UNAUTHENTICATED: 'No acceptable identity: the bearer token is missing (where anonymous callers are refused), malformed, unsigned, forged, expired, not yet valid or for another issuer or audience (HTTP 401).',
  FORBIDDEN: 'The caller is identified but not allowed: e.g. a declared purpose the token does not grant, or a field the policy denies (HTTP 403).',
  AUTH_UNAVAILABLE: "The identity provider's key set (JWKS URL) did not answer or was invalid, so no token can be verified right now (HTTP 503).",
  SIGNATURE_INVALID: 'A subgraph refused a request not signed by the gateway: no signature, a wrong one, or a body or forwarded principal changed after signing (HTTP 401; nothing was executed).',
  SIGNATURE_EXPIRED: "A subgraph refused a gateway-signed request whose timestamp is outside its window (default ±60 s): clock skew or a delayed or stored request (HTTP 401; nothing was executed).",
  REPLAYED_REQUEST: 'A subgraph refused a gateway-signed request it had already accepted once: same nonce within the window (HTTP 401; nothing was executed).',
  SUBGRAPH_UNAVAILABLE: 'A domain subgraph did not answer; the data it owns is missing from the result.',
  SUBGRAPH_TIMEOUT:
    'A domain subgraph did not answer within its deadline (`meshgate.subgraphs.timeoutMs`, default 30 s); the data it owns is missing from the result, the rest is returned.',
  COMPOSITION_FAILED: 'The subgraph schemas do not compose into a supergraph.',
  GOVERNANCE_FAILED:
    'The supergraph breaks a governance rule: a field without classification, an invalid classification, personal data without a category, or a subgraph without owner (every offender is listed).',
  CONFIG_INVALID: 'A configuration file or environment variable is missing or invalid.',
  POLICY_INVALID: 'The policy file (policy.yaml) or a policy rule is invalid: an unknown key, role, level, category or named policy; details name the file and the key.',
  DESCRIPTOR_INVALID: 'A data-product descriptor (data-product.yaml) is unreadable, incomplete or invalid; details name the file and every missing or invalid key.',
  SCHEMA_CHECK_FAILED:
    'A proposed subgraph schema is unsafe (meshgate check): it does not compose, breaks governance, lowers a classification without --allow-lowering, or breaks a field clients used recently.',
  IMPORT_FAILED: 'A data set could not be imported.',
  DOMAIN_NAME_INVALID: 'meshgate new-domain was given a name that is not kebab-case (lower-case letters and digits joined by "-", starting with a letter); nothing was written.',
  DOMAIN_EXISTS: 'meshgate new-domain was given the name of a domain that already exists (its folder, the registry in subgraphs/index.ts or supergraph.yaml); nothing was written.',
  PORT_TAKEN: 'meshgate new-domain was given a port another domain uses (registry or supergraph.yaml) or something on this machine listens on; nothing was written.',
  AUDIT_UNAVAILABLE:
    'The audit store is unreachable (or its write queue is full); a request touching fail-closed data (by default RESTRICTED) is refused until audit events can be recorded again (HTTP 503).',
  AUDIT_UNCOUNTED:
    'Not an error the caller sees: recorded in an audit event whose values and entity keys could not be counted (the executed operation did not line up with its authorization plan), so its zero counts are not a claim that nothing was returned.',
  AUDIT_TAMPERED:
    "The audit trail failed verification: an event was modified, deleted, inserted or reordered, its index rows (field usage, entity keys) disagree with it, events were cut off a chain's end, or a checkpoint or signed head is forged; the report names the first broken event per chain and the kind of tampering.",
  BAD_REQUEST: 'The HTTP request is malformed: a body that is not valid JSON, not a GraphQL request, or cut off before it was complete (HTTP 400).',
  UNSUPPORTED_MEDIA_TYPE: 'A POST body that is not `content-type: application/json` (HTTP 415).',
  PAYLOAD_TOO_LARGE: 'The request body is larger than `meshgate.limits.maxBodyBytes` (default 2 MiB) (HTTP 413).',
  HEADERS_TOO_LARGE: 'The request line and headers are larger than `meshgate.limits.maxHeaderBytes` (default 16 KiB) (HTTP 431; the connection is closed).',
  REQUEST_TIMEOUT:
    'The headers or the body arrived too slowly (`meshgate.limits.headersTimeoutMs`, `requestTimeoutMs`) (HTTP 408; the connection is closed).',
  BATCHING_DISABLED: 'A JSON array of operations: the gateway serves one operation per request (HTTP 400).',
  OPERATION_NOT_FOUND: 'The document has no operation named `operationName`, or several operations and no `operationName` (HTTP 400).',
  TOKEN_LIMIT_EXCEEDED: 'The document has more lexical tokens than `meshgate.limits.maxTokens` (HTTP 400; refused while parsing).',
  DEPTH_LIMIT_EXCEEDED: 'An operation nests fields deeper than `meshgate.limits.maxDepth`, fragments expanded (HTTP 400; nothing was planned).',
  INTROSPECTION_DEPTH_LIMIT_EXCEEDED:
    'An operation nests introspection fields (under `__schema` or `__type`) deeper than `meshgate.limits.maxIntrospectionDepth`, fragments expanded (HTTP 400; nothing was answered).',
  ALIAS_LIMIT_EXCEEDED: 'An operation uses more aliases than `meshgate.limits.maxAliases`, fragments expanded (HTTP 400; nothing was planned).',
  ROOT_FIELD_LIMIT_EXCEEDED: 'An operation selects more root fields than `meshgate.limits.maxRootFields` (HTTP 400; nothing was planned).',
  DIRECTIVE_LIMIT_EXCEEDED: 'An operation carries more directives than `meshgate.limits.maxDirectives`, fragments expanded (HTTP 400; nothing was planned).',
  SELECTION_LIMIT_EXCEEDED:
    'An operation selects more fields than `meshgate.limits.maxSelections` once every fragment spread is expanded (fragment bombs) (HTTP 400; nothing was planned).',
  COST_LIMIT_EXCEEDED:
    'The estimated cost (fields multiplied by the page sizes above them) exceeds `meshgate.limits.maxCost` (HTTP 400; no subgraph was called).',
  OPERATION_NOT_TRUSTED:
    'In trusted-documents mode (`meshgate.limits.trustedDocuments`), an operation whose sha256 hash is not registered (HTTP 400; nothing was planned).',
  USAGE_INVALID: 'A command was given an unknown flag or argument, or a required option is missing or invalid (the CLI exits 2).',
  INTERNAL_SERVER_ERROR: 'An unexpected error; details are in the server log with the request id.',
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

/** An expected failure with a stable code: thrown only where a contract is broken. */
export class MeshgateError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'MeshgateError';
  }
}

/** A GraphQL error a resolver returns to the caller, with `extensions.code` set. */
export function graphqlError(code: ErrorCode, message: string, extensions: Record<string, unknown> = {}) {
  return new GraphQLError(message, { extensions: { code, ...extensions } });
}

export function badUserInput(message: string, argumentName?: string) {
  return graphqlError('BAD_USER_INPUT', message, argumentName ? { argumentName } : {});
}

/** graphql-js's suggestion suffix (`didYouMean`), as Apollo's DisableSuggestions plugin matches it. */
const SUGGESTION = / ?Did you mean(.+?)\?$/;

/**
 * An error without its "Did you mean …?" suffix. Apollo strips it from validation errors only;
 * variable coercion (the gateway's, after validation) writes it too, naming fields or enum values.
 */
export function withoutSuggestions(formatted: GraphQLFormattedError): GraphQLFormattedError {
  return SUGGESTION.test(formatted.message) ? { ...formatted, message: formatted.message.replace(SUGGESTION, '') } : formatted;
}

/** An error without a code of its own (or coded internal): a bug or an outage, never the caller's mistake. */
export function isUnexpectedError(error: { extensions?: { code?: unknown } }): boolean {
  const code = error.extensions?.code;
  return !code || code === 'INTERNAL_SERVER_ERROR';
}

export interface MaskOptions {
  /**
   * The request id an error was already logged under, where the request was known (Apollo's
   * `formatError` is not told): it is then not logged again, and the caller gets the id to quote.
   */
  loggedUnder?(error: unknown): string | undefined;
}

/** Known failures keep their code; anything else is an internal error, masked for the caller. */
export function maskUnexpectedError(logger: Logger, options: MaskOptions = {}) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    if (!isUnexpectedError(formatted)) return formatted;
    const requestId = options.loggedUnder?.(error);
    if (requestId === undefined) logger.error({ err: error }, 'unexpected error');
    return { message: 'internal server error', path: formatted.path, extensions: { code: 'INTERNAL_SERVER_ERROR', ...(requestId !== undefined && { requestId }) } };
  };
}
