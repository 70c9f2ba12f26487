import type { GraphQLFormattedError } from 'graphql';
import type { Policy } from '../../policies/types';
import { applyToResponse } from '../authorization/apply';
import type { AuthorizeState } from './authorize';
import type { MeshgatePlugin } from './types';

/**
 * The mask step: before the response leaves the gateway, values of fields decided `mask` are
 * replaced by their masked rendition (at every alias and fragment that selected them), and every
 * denied field gets `null` in the data and a FORBIDDEN error at its path.
 */
export function useMask(options: { policy: Policy }): MeshgatePlugin {
  return {
    name: 'mask',
    apollo: {
      async requestDidStart() {
        return {
          async willSendResponse(rc) {
            const state = rc.contextValue.state.authorize as AuthorizeState | undefined;
            if (!state || state.mode === 'dry-run' || rc.response.body.kind !== 'single') return;
            const { plan } = state;
            const result = rc.response.body.singleResult;
            if (plan.trie && result.data) result.data = applyToResponse(result.data as Record<string, any>, plan.trie, options.policy);
            if (plan.denied.length === 0 || !('data' in result)) return;
            const forbidden: GraphQLFormattedError[] = plan.denied.map((d) => ({
              message: `Not authorized to read ${d.coordinate}`,
              path: d.errorPath,
              extensions: { code: 'FORBIDDEN', coordinate: d.coordinate, reason: d.reason },
            }));
            result.errors = [...(result.errors ?? []), ...forbidden];
          },
        };
      },
    },
  };
}
