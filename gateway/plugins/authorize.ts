import { getOperationAST, GraphQLError, Kind, visit, type DocumentNode, type FragmentDefinitionNode, type GraphQLSchema } from 'graphql';
import type { FieldRequirements, Policy } from '../../policies/types';
import type { Logger } from '../../shared/logger';
import { LruMap } from '../../shared/lru-map';
import type { SupergraphCatalog } from '../authorization/catalog';
import { planAuthorization, type AuthorizationPlan, type FieldCatalog } from '../authorization/plan';
import { walkOperation } from '../authorization/walk';
import type { GatewayContext, MeshgatePlugin } from './types';

export type AuthorizationMode = 'enforce' | 'strict' | 'dry-run';

export interface AuthorizeOptions {
  policy: Policy;
  /**
   * `enforce` (default): denied fields are removed before planning and reported as FORBIDDEN
   * errors with null data; `strict`: any denied field rejects the whole operation; `dry-run`:
   * decisions are made and logged, nothing is removed or masked.
   */
  mode?: AuthorizationMode;
  /** The pipeline's shared catalog source (see `catalogSource`): classifications and requirements per supergraph. */
  catalogOf(supergraphSdl: string): SupergraphCatalog;
  /**
   * Checks a newly loaded supergraph's requirements before it is served (e.g. that every
   * `@policy` name has a rule); throwing stops the gateway from serving it.
   */
  checkRequirements?(requirements: Map<string, FieldRequirements>): void;
  /** Cached plans (operation × principal attributes × @skip/@include variables); default 5,000. */
  cacheSize?: number;
  logger?: Logger;
}

/** What authorize leaves for the steps after it (mask, audit) in `context.state.authorize`. */
export interface AuthorizeState {
  plan: AuthorizationPlan;
  mode: AuthorizationMode;
}

/** One loaded supergraph's classifications and the plans built from them: never shared with another supergraph. */
interface Generation {
  catalog: FieldCatalog;
  plans: LruMap<string, AuthorizationPlan>;
}

/** Variables that @skip/@include read: they change which fields run, so they are part of the cache key. */
function directiveVariables(document: DocumentNode): string[] {
  const names = new Set<string>();
  visit(document, {
    Directive(node) {
      if (node.name.value !== 'skip' && node.name.value !== 'include') return;
      for (const arg of node.arguments ?? []) if (arg.value.kind === Kind.VARIABLE) names.add(arg.value.name.value);
    },
  });
  return [...names].sort();
}

/**
 * The authorize step: every field the operation selects gets a decision (allow, mask, deny) from
 * the policy before any subgraph is called. Denied fields leave the document, which gets a new
 * query hash so Apollo's plan cache never serves one role's plan to another.
 */
export function useAuthorize(options: AuthorizeOptions): MeshgatePlugin {
  const mode = options.mode ?? 'enforce';
  const cacheSize = options.cacheSize ?? 5_000;
  const variablesOf = new Map<string, string[]>();
  // Planning awaits the policy, and a reload may land meanwhile: each request plans with, and
  // caches into, the generation of the schema it runs on, so an old plan never enters a new cache.
  const generations = new WeakMap<GraphQLSchema, Generation>();
  let latest: Generation | undefined;

  return {
    name: 'authorize',
    onSupergraph({ sdl, apiSchema }) {
      const supergraph = options.catalogOf(sdl);
      options.checkRequirements?.(supergraph.requirements);
      latest = { catalog: supergraph.catalog, plans: new LruMap(cacheSize) };
      generations.set(apiSchema, latest);
    },
    apollo: {
      async requestDidStart() {
        return {
          async didResolveOperation(rc) {
            const context: GatewayContext = rc.contextValue;
            const document = rc.document;
            const operation = rc.operation;
            if (!operation) return; // Apollo has already refused documents without a matching operation
            const generation = generations.get(rc.schema) ?? latest;
            if (!generation) throw new GraphQLError('the gateway has no supergraph yet', { extensions: { code: 'SUBGRAPH_UNAVAILABLE' } });
            const { catalog, plans } = generation;
            const variables = rc.request.variables ?? {};
            let used = variablesOf.get(rc.queryHash);
            if (!used) variablesOf.set(rc.queryHash, (used = directiveVariables(document)));
            // Decisions depend on @skip/@include variables, and on all variables when a rule reads arguments.
            const decisive = options.policy.readsArguments ? variables : used.map((v) => variables[v]);
            const key = `${rc.queryHash}|${rc.operationName ?? ''}|${options.policy.principalKey(context.principal)}|${JSON.stringify(decisive)}`;
            let plan = plans.get(key);
            if (!plan) {
              const fragments: Record<string, FragmentDefinitionNode> = {};
              for (const def of document.definitions) if (def.kind === Kind.FRAGMENT_DEFINITION) fragments[def.name.value] = def;
              const { fields } = walkOperation(rc.schema, operation, fragments, variables);
              plan = await planAuthorization(document, rc.queryHash, fields, context.principal, options.policy, catalog);
              plans.set(key, plan);
            }
            context.state.authorize = { plan, mode } satisfies AuthorizeState;

            if (plan.denied.length === 0) return;
            if (mode === 'dry-run') {
              options.logger?.info({ requestId: context.requestId, denied: plan.denied.map((d) => d.coordinate) }, 'dry-run: would deny fields');
              return;
            }
            if (mode === 'strict') {
              throw new GraphQLError(`Not authorized to read ${plan.denied.map((d) => d.coordinate).join(', ')}`, {
                extensions: { code: 'FORBIDDEN', coordinates: plan.denied.map((d) => d.coordinate), http: { status: 403 } },
              });
            }
            // Replace, never mutate: the original document is cached by Apollo for other callers.
            // The request context's fields are typed read-only for plugins; the gateway executes these.
            const writable = rc as { document: DocumentNode; operation: unknown; queryHash: string };
            writable.document = plan.document;
            writable.operation = getOperationAST(plan.document, rc.operationName);
            writable.queryHash = plan.queryHash;
          },
        };
      },
    },
  };
}
