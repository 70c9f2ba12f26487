import crypto from 'node:crypto';
import Module from 'node:module';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { useNodeCryptoForApolloHashes } from '../../shared/apollo-hash';

/** The `@apollo/utils.createhash` copy a package loads (each may have its own). */
function apolloHashOf(pkg: string): { createHash: (kind: string) => crypto.Hash } {
  return require(require.resolve('@apollo/utils.createhash', { paths: [path.dirname(require.resolve(pkg))] }));
}

describe('useNodeCryptoForApolloHashes', () => {
  afterEach(() => vi.restoreAllMocks());

  it("makes Apollo Server's and the gateway's hashes skip the module loader, with the same digests", () => {
    const requires = vi.spyOn(Module.prototype, 'require');
    const before = apolloHashOf('@apollo/server').createHash('sha256').update('{ a }').digest('hex');
    expect(requires).toHaveBeenCalled();

    expect(useNodeCryptoForApolloHashes()).toBeGreaterThanOrEqual(1);
    const copies = ['@apollo/server', '@apollo/gateway'].map(apolloHashOf);
    requires.mockClear();
    for (const copy of copies) {
      const digest = copy.createHash('sha256').update('{ a }').digest('hex');
      expect(digest).toBe(before);
      expect(digest).toBe(crypto.createHash('sha256').update('{ a }').digest('hex'));
    }
    expect(requires).not.toHaveBeenCalled();
  });
});
