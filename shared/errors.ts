import { GraphQLError } from 'graphql';

/**
 * Every error code Meshgate emits, defined once with what it means. GraphQL errors carry the
 * code in `extensions.code`; CLI errors print it beside the message.
 */
export const ERROR_CODES = {
  BAD_USER_INPUT: 'An argument is invalid (page size over the maximum, malformed cursor, bad date).',
  NOT_FOUND: 'The requested entity does not exist.',
  SUBGRAPH_UNAVAILABLE: 'A domain subgraph did not answer; the data it owns is missing from the result.',
  COMPOSITION_FAILED: 'The subgraph schemas do not compose into a supergraph.',
  CONFIG_INVALID: 'A configuration file or environment variable is missing or invalid.',
  IMPORT_FAILED: 'A data set could not be imported.',
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
