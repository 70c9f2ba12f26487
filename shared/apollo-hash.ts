import crypto from 'node:crypto';
import path from 'node:path';

/** The packages whose hot paths hash through `@apollo/utils.createhash` (each may have its own copy). */
const HASHING_PACKAGES = ['@apollo/server', '@apollo/gateway'];

const nodeCreateHash = (kind: string): crypto.Hash => crypto.createHash(kind);

/**
 * `@apollo/utils.createhash` looks `crypto` up with `module.require` on every call, which goes
 * through the module loader (and tsx's resolver hooks) each time: Apollo Server hashes every
 * request's query and the gateway every plan-cache key, ~2% of a subgraph's and of the gateway's
 * CPU in the benchmark's profiles. Both call it through the package's exports object, so swapping
 * the export of each copy for Node's own `createHash` takes effect for every server in the process.
 * Returns how many copies use Node's `createHash` now.
 */
export function useNodeCryptoForApolloHashes(): number {
  const copies = new Set(
    HASHING_PACKAGES.map((pkg) => require.resolve('@apollo/utils.createhash', { paths: [path.dirname(require.resolve(pkg))] })),
  );
  for (const file of copies) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const apolloHash = require(file) as { createHash: (kind: string) => crypto.Hash };
    apolloHash.createHash = nodeCreateHash;
  }
  return copies.size;
}
