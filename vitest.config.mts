import { createRequire } from 'node:module';
import { defineConfig } from 'vitest/config';

const require = createRequire(import.meta.url);

export default defineConfig({
  resolve: {
    // The CJS @apollo/* packages load graphql's index.js; TypeScript files must get the same
    // copy or every request fails with "from another module or realm" (see FIELD-NOTES.md).
    alias: [{ find: /^graphql$/, replacement: require.resolve('graphql') }],
  },
  test: {
    include: ['test/**/*.test.ts', 'subgraphs/**/*.test.ts'],
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 120_000,
    env: { APOLLO_TELEMETRY_DISABLED: 'true', MESHGATE_LOG_LEVEL: 'silent' },
  },
});
