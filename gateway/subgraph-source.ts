import { RemoteGraphQLDataSource, type GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import type { Fetcher, FetcherRequestInit } from '@apollo/utils.fetcher';
import { ANONYMOUS, type Principal } from '../shared/principal';
import { assertUsableSecret, encodePrincipal, SIGNATURE_HEADERS, signEncoded } from '../shared/signing';
import type { GatewayContext } from './plugins/types';

/**
 * Signs what the fetcher is about to send: the body exactly as given (RemoteGraphQLDataSource
 * serialises the request once, in `sendRequest`, and hands that string to the fetcher) and the
 * principal header as set. Fresh timestamp and nonce on every call; a request without a
 * principal header goes out as ANONYMOUS.
 */
export function signingFetcher(fetcher: Fetcher, secret: string): Fetcher {
  assertUsableSecret(secret);
  return (url: string, init: FetcherRequestInit = {}) => {
    const headers: Record<string, string> = { ...init.headers };
    const principal = headers[SIGNATURE_HEADERS.principal] ?? encodePrincipal(ANONYMOUS);
    const signed = signEncoded({ body: init.body ?? '', principal, secret });
    return fetcher(url, { ...init, headers: { ...headers, ...signed } });
  };
}

/** A subgraph data source that forwards the gateway context's principal, signed by its fetcher. */
export class SignedSubgraphSource extends RemoteGraphQLDataSource<GatewayContext> {
  override willSendRequest(options: GraphQLDataSourceProcessOptions<GatewayContext>): void {
    // Health checks and schema loads carry no gateway context: they go out as ANONYMOUS.
    const principal = (options.context as Partial<GatewayContext> | undefined)?.principal ?? ANONYMOUS;
    options.request.http!.headers.set(SIGNATURE_HEADERS.principal, encodePrincipal(principal as Principal));
  }
}

export interface SubgraphSourceOptions {
  /** The subgraph's routing URL (optional only as in Apollo's `buildService` definition). */
  url?: string;
  fetcher: Fetcher;
  /** The secret shared with the subgraphs; without one, requests go out unsigned and without a principal. */
  secret?: string;
}

/** The data source for one subgraph: signed with the forwarded principal when a secret is given. */
export function createSubgraphSource({ url, fetcher, secret }: SubgraphSourceOptions): RemoteGraphQLDataSource<GatewayContext> {
  if (!secret) return new RemoteGraphQLDataSource<GatewayContext>({ url, fetcher });
  return new SignedSubgraphSource({ url, fetcher: signingFetcher(fetcher, secret) });
}
