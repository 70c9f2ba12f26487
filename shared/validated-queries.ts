import type { IncomingMessage } from 'node:http';
import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import { MapperKind, mapSchema } from '@graphql-tools/utils';
import { defaultFieldResolver, execute, getNamedType, isLeafType, Kind, type DocumentNode, type ExecutionResult, type GraphQLSchema } from 'graphql';
import { compileQuery, isCompiledQuery } from 'graphql-jit';
import { LruMap } from './lru-map';

/** Query texts kept, least recently used dropped first: a subgraph serves the gateway's few plans. */
export const VALIDATED_QUERIES_KEPT = 1_000;

/** Executes one validated document against a request's context and variables. */
type Executor = (contextValue: unknown, variables: Record<string, unknown> | null | undefined) => Promise<ExecutionResult> | ExecutionResult;

interface ValidatedQuery {
  document: DocumentNode;
  /** The document's one operation's name, if it has one. */
  operationName: string | undefined;
  /** Compiled on the first direct answer, so a query seen once is never compiled. */
  executor?: Executor;
}

/** A complete answer to send as is. */
export interface DirectAnswer {
  status: number;
  contentType: string;
  body: string;
}

/** What Apollo Server answers these `accept` headers with (`MEDIA_TYPES.APPLICATION_JSON`); any other goes to its negotiation. */
const APOLLO_JSON = 'application/json; charset=utf-8';
const JSON_ACCEPTED = new Set([undefined, '', '*/*', 'application/json']);
const REQUEST_KEYS = new Set(['query', 'variables', 'operationName']);

/**
 * Answers a subgraph's repeat queries without Apollo Server's request pipeline. A subgraph is
 * asked the same few query texts over and over (the gateway's plans); Apollo parses nothing
 * again for them but still costs about 80 µs per call around graphql-js `execute` (a fifth of a
 * `small` sales call). Only a query Apollo Server itself has parsed, validated and resolved
 * before is answered here, and only when the answer has no errors: everything else (first
 * sight, GET, `extensions`, an `accept` header other than JSON's, errors of any kind) is
 * Apollo's, so its error codes, statuses, formatting and logging stay the only ones.
 */
export class ValidatedQueries<C extends BaseContext> {
  private readonly kept: LruMap<string, ValidatedQuery>;
  /** What queries are compiled against (see `compiledSchema`). */
  private readonly compiledSchema: GraphQLSchema;
  /** Requests answered here since start (the `/stats` of a subgraph). */
  answered = 0;
  /** Query texts compiled to JavaScript since start; the rest, if any, run on graphql-js `execute`. */
  compiled = 0;

  constructor(
    private readonly schema: GraphQLSchema,
    maxKept = VALIDATED_QUERIES_KEPT,
  ) {
    this.kept = new LruMap(maxKept);
    this.compiledSchema = compiledSchema(schema);
  }

  /** Records every query operation Apollo Server has validated and resolved. */
  plugin(): ApolloServerPlugin<C> {
    return {
      requestDidStart: async () => ({
        didResolveOperation: async ({ source, document, operation }) => {
          const operations = document.definitions.filter((d) => d.kind === Kind.OPERATION_DEFINITION);
          if (operation?.operation !== 'query' || operations.length !== 1) return;
          this.kept.set(source, { document, operationName: operation.name?.value });
        },
      }),
    };
  }

  /** Query texts kept now. */
  get size(): number {
    return this.kept.size;
  }

  /**
   * The answer to a POST body holding only `query`, `variables` and `operationName`, for a query
   * already validated, when it executes without errors; otherwise undefined, and Apollo Server
   * answers (executing again: subgraphs serve no mutations, so a query has no effect to repeat).
   */
  async answer(req: IncomingMessage, body: unknown, context: () => Promise<C>): Promise<DirectAnswer | undefined> {
    if (req.method !== 'POST' || !JSON_ACCEPTED.has(req.headers.accept) || !isPlainObject(body)) return undefined;
    for (const key in body) if (!REQUEST_KEYS.has(key)) return undefined;
    const { query, variables, operationName } = body;
    if (typeof query !== 'string' || (variables != null && !isPlainObject(variables))) return undefined;
    const validated = this.kept.get(query);
    if (!validated || (operationName != null && operationName !== validated.operationName)) return undefined;
    let contextValue: C;
    try {
      contextValue = await context();
    } catch {
      // A refused context is Apollo's to format and answer: it calls `context` again.
      return undefined;
    }
    validated.executor ??= this.executorFor(validated);
    const result = await validated.executor(contextValue, variables);
    if (result.errors !== undefined || result.data == null) return undefined;
    this.answered++;
    // Apollo's own serialisation: `prettyJSONStringify` of `{ errors, data, extensions }`.
    return { status: 200, contentType: APOLLO_JSON, body: `${JSON.stringify({ data: result.data })}\n` };
  }

  /**
   * The query compiled by graphql-jit: its resolvers, run without graphql-js's per-field
   * interpretation (argument maps, field plans, completion by type), took 45% less CPU than
   * `execute` on the benchmark's `heavy` subgraph calls, SQL included. An answer with errors
   * still goes to Apollo, so only error-free data, equal to graphql-js's (tested), comes from here.
   * A document graphql-jit refuses (an error result or a throw) runs on `execute` instead.
   */
  private executorFor({ document, operationName }: ValidatedQuery): Executor {
    const interpreted: Executor = (contextValue, variableValues) => execute({ schema: this.schema, document, operationName, contextValue, variableValues });
    let compiled: ReturnType<typeof compileQuery<Record<string, unknown>, Record<string, unknown>>>;
    try {
      compiled = compileQuery(this.compiledSchema, document, operationName);
    } catch {
      // graphql-jit cannot compile it: graphql-js interprets it, as it did every query before.
      return interpreted;
    }
    if (!isCompiledQuery(compiled)) return interpreted;
    this.compiled++;
    return (contextValue, variables) => compiled.query(undefined, contextValue, variables);
  }
}

/**
 * The schema with graphql-js's default resolver on every object and list-of-object field that has
 * no resolver. That resolver calls a function-valued property; graphql-jit reads the property, so
 * a lazily computed object would come out as a function's (missing) fields, silently null where
 * nullable. Leaf fields stay plain reads: a function there fails serialisation, and an answer with
 * errors goes to Apollo. The compiled code pays the call only on the few object fields without
 * resolvers.
 */
function compiledSchema(schema: GraphQLSchema): GraphQLSchema {
  return mapSchema(schema, {
    [MapperKind.OBJECT_FIELD]: (field) => (field.resolve || isLeafType(getNamedType(field.type)) ? field : { ...field, resolve: defaultFieldResolver }),
  });
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
