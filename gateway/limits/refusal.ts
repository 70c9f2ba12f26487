import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import type { ErrorCode } from '../../shared/errors';

/**
 * A request refused by an abuse limit: HTTP 400 with its own code. Apollo re-codes validation
 * errors as GRAPHQL_VALIDATION_FAILED and parse errors as GRAPHQL_PARSE_FAILED; `restoreLimitCode`
 * (the server's `formatError`) gives them back the limit's code.
 */
export class LimitRefusal extends GraphQLError {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message, { extensions: { code, http: { status: 400 } } });
  }
}

/** graphql-js's message when `parse` stops at `maxTokens` (graphql 16 writes "more that"). */
const TOKEN_LIMIT = /^Syntax Error: Document contains more (?:than|that) (\d+) tokens\. Parsing aborted\.$/;

/** Apollo `formatError`: a limit's refusal keeps the limit's code, whatever Apollo wrapped it in. */
export function restoreLimitCode(formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError {
  const original = (error as { originalError?: unknown } | undefined)?.originalError;
  if (original instanceof LimitRefusal) return { ...formatted, extensions: { ...formatted.extensions, code: original.code } };
  const tokens = formatted.extensions?.code === 'GRAPHQL_PARSE_FAILED' ? TOKEN_LIMIT.exec(formatted.message) : null;
  if (tokens) {
    const message = `the document has more than ${tokens[1]} tokens; the limit is ${tokens[1]} (meshgate.limits.maxTokens)`;
    return { message, extensions: { ...formatted.extensions, code: 'TOKEN_LIMIT_EXCEEDED' satisfies ErrorCode } };
  }
  return formatted;
}

/** A large count readably: fragment bombs reach numbers beyond any integer. */
export function count(n: number): string {
  return n <= Number.MAX_SAFE_INTEGER ? String(n) : 'more than 2^53';
}
