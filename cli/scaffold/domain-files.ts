import type { DomainNames } from './names';
import { dataTs } from './templates/data';
import { dataProductYaml, type Owner } from './templates/descriptor';
import { indexTs, mainTs } from './templates/entry';
import { loadersTs } from './templates/loaders';
import { initialMigration } from './templates/migration';
import { resolversTs } from './templates/resolvers';
import { schemaGraphql } from './templates/schema';
import { seedTs } from './templates/seed';
import { domainTestTs } from './templates/tests';

export type { Owner };

/** Every file of a new domain folder, by path relative to it: the same shape as subgraphs/logistics. */
export function domainFiles(n: DomainNames, options: { port: number; owner: Owner }): Record<string, string> {
  return {
    'schema.graphql': schemaGraphql(n),
    'data-product.yaml': dataProductYaml(n, options.owner),
    'migrations/001_initial.ts': initialMigration(),
    'seed.ts': seedTs(n),
    'data.ts': dataTs(n),
    'loaders.ts': loadersTs(n),
    'resolvers.ts': resolversTs(n),
    'index.ts': indexTs(n, options.port),
    'main.ts': mainTs(n),
    [`${n.domain}.test.ts`]: domainTestTs(n),
  };
}
