import { HeaderMap, type ApolloServerOptions, type GraphQLRequestContext, type GraphQLResponse } from '@apollo/server';
import type { ErrorCode } from '../../shared/errors';
import type { DocumentNode, GraphQLSchema, OperationDefinitionNode } from 'graphql';
import { estimateCost, type CostOptions } from '../limits/cost';
import { restoreLimitCode } from '../limits/refusal';
import { DEFAULT_LIMITS, type LimitSettings } from '../limits/settings';
import { loadTrustedDocuments } from '../limits/trusted-documents';
import { documentLimitsRule } from '../limits/validation-rule';
import type { GatewayContext, MeshgatePlugin } from './types';

/** The limits step: its request hooks, plus what the HTTP server and Apollo's constructor must apply. */
export interface LimitsStep extends MeshgatePlugin {
  name: 'limits';
  settings: LimitSettings;
  /** Parse and validation limits (before any plugin walks or the gateway plans the operation), their error codes, APQ. */
  apolloOptions: Pick<ApolloServerOptions<GatewayContext>, 'validationRules' | 'parseOptions' | 'formatError' | 'persistedQueries'>;
}

function refusal(code: ErrorCode, message: string): GraphQLResponse {
  return { http: { status: 400, headers: new HeaderMap() }, body: { kind: 'single', singleResult: { errors: [{ message, extensions: { code } }] } } };
}

/**
 * The abuse-limits step, before any query planning: the body and header limits and timeouts (HTTP
 * server), the token limit (parse), depth, aliases, root fields, directives and expanded
 * selections (a validation rule, counted with memoisation so fragment bombs cost nothing), then per
 * request an operation that exists, a trusted document (when configured) and the cost estimate.
 * Every refusal is HTTP 400 with its own code, and audited like any other rejected operation.
 */
export function useLimits(settings: LimitSettings = DEFAULT_LIMITS): LimitsStep {
  const trusted = settings.trustedDocuments ? loadTrustedDocuments(settings.trustedDocuments) : undefined;
  const trustedHint = 'only the operations registered in meshgate.limits.trustedDocuments run';
  const costOf = createCostCache();

  return {
    name: 'limits',
    settings,
    apolloOptions: {
      validationRules: [documentLimitsRule(settings)],
      parseOptions: { maxTokens: settings.maxTokens },
      formatError: restoreLimitCode,
      // Trusted mode: registered documents are looked up by hash below; nothing else may register one.
      ...(trusted && { persistedQueries: false as const }),
    },
    apollo: {
      async requestDidStart({ request }) {
        let unknownHash: string | undefined;
        const persisted = request.extensions?.persistedQuery as { sha256Hash?: unknown } | undefined;
        if (trusted && persisted) {
          // A hash alone runs its registered document, which is then checked like any other.
          if (request.query === undefined) {
            const hash = String(persisted.sha256Hash).toLowerCase();
            request.query = trusted.get(hash);
            if (request.query === undefined) unknownHash = hash;
          }
          delete request.extensions!.persistedQuery;
        }
        let sourceHash: string | undefined;
        return {
          async didResolveSource(rc) {
            // Authorize may replace the query hash later; trust is decided on the text received.
            sourceHash = rc.queryHash;
          },
          async responseForOperation(rc) {
            if (!rc.operation) {
              const name = rc.request.operationName;
              // Apollo would let the gateway fail on it with a 500.
              return refusal('OPERATION_NOT_FOUND', name ? `the document has no operation named "${name}"` : 'the document has several operations: name the one to run in operationName');
            }
            if (trusted && !trusted.has(sourceHash!)) return refusal('OPERATION_NOT_TRUSTED', `operation ${sourceHash} is not trusted: ${trustedHint}`);
            const cost = costOf({ schema: rc.schema, document: rc.document!, operation: rc.operation, variables: rc.request.variables ?? {}, defaultPageSize: settings.defaultPageSize });
            if (cost > settings.maxCost) {
              return refusal('COST_LIMIT_EXCEEDED', `the operation's estimated cost is ${cost} (fields times the page sizes above them); the limit is ${settings.maxCost} (meshgate.limits.maxCost)`);
            }
            return null;
          },
          async willSendResponse(rc: GraphQLRequestContext<GatewayContext>) {
            // Apollo refused the query-less request; say why. Synchronous, so the audit step records this.
            if (unknownHash === undefined) return;
            const refused = refusal('OPERATION_NOT_TRUSTED', `no trusted operation has hash ${unknownHash}: ${trustedHint}`);
            rc.response.body = refused.body;
            rc.response.http.status = 400;
          },
        };
      },
    },
  };
}

/**
 * `estimateCost`, remembered per schema, document and operation node when the operation declares
 * no variables: its cost then depends on the document alone, and Apollo hands every request with
 * the same query text the same parsed document. The document is part of the key because a pruned
 * copy (authorize) may share the operation node while its fragments differ.
 */
function createCostCache(): (options: CostOptions) => number {
  const bySchema = new WeakMap<GraphQLSchema, WeakMap<DocumentNode, WeakMap<OperationDefinitionNode, number>>>();
  return (options) => {
    if (options.operation.variableDefinitions?.length) return estimateCost(options);
    let byDocument = bySchema.get(options.schema);
    if (!byDocument) bySchema.set(options.schema, (byDocument = new WeakMap()));
    let costs = byDocument.get(options.document);
    if (!costs) byDocument.set(options.document, (costs = new WeakMap()));
    let cost = costs.get(options.operation);
    if (cost === undefined) costs.set(options.operation, (cost = estimateCost(options)));
    return cost;
  };
}

/** The pipeline's limits step, or one with the defaults put first: a gateway always has limits. */
export function withLimits(plugins: MeshgatePlugin[]): { plugins: MeshgatePlugin[]; limits: LimitsStep } {
  const limits = plugins.find((p): p is LimitsStep => p.name === 'limits' && 'apolloOptions' in p);
  if (limits) return { plugins, limits };
  const defaults = useLimits();
  return { plugins: [defaults, ...plugins], limits: defaults };
}
