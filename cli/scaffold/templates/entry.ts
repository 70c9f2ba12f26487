import type { DomainNames } from '../names';

/** index.ts: the domain as the shared subgraph runtime needs it. */
export const indexTs = (n: DomainNames, port: number) => `import path from 'node:path';
import type { Domain } from '../../shared/domain';
import * as data from './data';
import { createLoaders, type ${n.pascal}Loaders } from './loaders';
import * as initial from './migrations/001_initial';
import { resolvers } from './resolvers';
import { seed } from './seed';

/** ${n.title}: its items, by name or id. */
export const ${n.camel}: Domain<${n.pascal}Loaders> = {
  name: '${n.domain}',
  defaultPort: ${port},
  schemaFile: path.join(__dirname, 'schema.graphql'),
  resolvers,
  migrations: { '001_initial': initial },
  createLoaders,
  seed,
  isEmpty: async (db) => !(await data.hasAnyData(db)),
};
`;

/** main.ts: the service's entry point. */
export const mainTs = (n: DomainNames) => `// Entry point of the ${n.domain} service: reads the environment, migrates, seeds demo data on first start, listens.
import { runSubgraph } from '../../shared/subgraph-main';
import { ${n.camel} } from './index';

runSubgraph(${n.camel});
`;
