import { MeshgateError } from './errors';

const GRAPHQL_NAME = /^[_A-Za-z][_0-9A-Za-z]*$/;

/**
 * A GraphQL name (a response key: field name or alias) as a string literal for generated code.
 * Compiled walkers read and write response keys as literal property names; only names the
 * GraphQL grammar allows ever reach the code, so no input can change what the code does.
 */
export function literalKey(name: string): string {
  if (!GRAPHQL_NAME.test(name)) throw new MeshgateError('INTERNAL_SERVER_ERROR', `not a GraphQL name: ${JSON.stringify(name)}`);
  return JSON.stringify(name);
}
