import path from 'node:path';
import { MeshgateError } from '../../shared/errors';
import { DEFAULT_MAX_BODY_BYTES } from '../../shared/http';
import { DEFAULT_PAGE_SIZE } from '../../shared/pagination';

/** The `meshgate.limits` section of supergraph.yaml, validated, with every default filled in. */
export interface LimitSettings {
  /** Request body, in bytes (HTTP 413 PAYLOAD_TOO_LARGE). */
  maxBodyBytes: number;
  /** Request line and headers, in bytes (HTTP 431 HEADERS_TOO_LARGE). */
  maxHeaderBytes: number;
  /** Time for a client to send its headers, then its whole request (HTTP 408 REQUEST_TIMEOUT). */
  headersTimeoutMs: number;
  requestTimeoutMs: number;
  /** Lexical tokens in the document (graphql `parse` aborts past it). */
  maxTokens: number;
  /** Field nesting, fragments expanded; introspection fields do not count (answered from memory). */
  maxDepth: number;
  /** Nesting under `__schema`/`__type`, fragments expanded: introspection has its own limit, as the standard query nests 15 deep. */
  maxIntrospectionDepth: number;
  maxAliases: number;
  maxRootFields: number;
  maxDirectives: number;
  /** Field selections once every fragment spread is expanded: what the query planner would see. */
  maxSelections: number;
  /** Estimated cost: each field costs the product of the page sizes above it. */
  maxCost: number;
  /** Page size assumed for a paginated field called without `first`/`last`/`limit` and without a schema default. */
  defaultPageSize: number;
  /** Absolute path of the trusted-documents file (sha256 hash → document); absent = any document. */
  trustedDocuments?: string;
}

export const DEFAULT_LIMITS: LimitSettings = {
  maxBodyBytes: DEFAULT_MAX_BODY_BYTES,
  maxHeaderBytes: 16 * 1024,
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  maxTokens: 5_000,
  maxDepth: 12,
  // graphql's getIntrospectionQuery (every option on) nests 15 deep; headroom for tools asking a deeper TypeRef.
  maxIntrospectionDepth: 20,
  maxAliases: 30,
  maxRootFields: 20,
  maxDirectives: 50,
  maxSelections: 1_500,
  maxCost: 50_000,
  defaultPageSize: DEFAULT_PAGE_SIZE,
};

type NumericLimit = Exclude<keyof LimitSettings, 'trustedDocuments'>;
const NUMERIC = Object.keys(DEFAULT_LIMITS) as NumericLimit[];
const KNOWN = [...NUMERIC, 'trustedDocuments'];

function invalid(message: string): never {
  throw new MeshgateError('CONFIG_INVALID', `meshgate.limits.${message}`);
}

/** Validates `meshgate.limits` (absent = every default); a relative `trustedDocuments` resolves against `baseDir`. */
export function parseLimitSettings(raw: unknown, baseDir: string): LimitSettings {
  if (raw === undefined || raw === null) return { ...DEFAULT_LIMITS };
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    throw new MeshgateError('CONFIG_INVALID', `meshgate.limits must be a mapping of limits (known: ${KNOWN.join(', ')})`);
  }
  const section = raw as Record<string, unknown>;
  for (const key of Object.keys(section)) {
    if (key === 'batching') invalid('batching: batched requests are always refused (BATCHING_DISABLED): one audit event and one authorization per operation need one request per operation');
    if (!KNOWN.includes(key)) invalid(`${key} is not a limit (known: ${KNOWN.join(', ')})`);
  }
  const settings = { ...DEFAULT_LIMITS };
  for (const key of NUMERIC) {
    const value = section[key];
    if (value === undefined) continue;
    // Zero would refuse everything (or, for timeouts, switch Node's protection off): not a limit.
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) invalid(`${key} must be a positive integer, got ${JSON.stringify(value)}`);
    settings[key] = value;
  }
  if (settings.headersTimeoutMs > settings.requestTimeoutMs) {
    invalid(`headersTimeoutMs (${settings.headersTimeoutMs}) must not exceed meshgate.limits.requestTimeoutMs (${settings.requestTimeoutMs})`);
  }
  const trusted = section.trustedDocuments;
  if (trusted !== undefined) {
    if (typeof trusted !== 'string' || trusted.trim() === '') invalid(`trustedDocuments must be the path of a file of sha256 hash → document, got ${JSON.stringify(trusted)}`);
    settings.trustedDocuments = path.resolve(baseDir, trusted);
  }
  return settings;
}
