import type { DomainNames } from '../names';

/** loaders.ts: per-request DataLoaders, so N entity lookups cost one statement. */
export const loadersTs = (n: DomainNames) => `import type { Database } from '../../shared/db';
import { rowLoader } from '../../shared/loaders';
import * as data from './data';

/** Per-request loaders of the ${n.domain} domain: every entity lookup goes through one. */
export function createLoaders(db: Database) {
  return {
    item: rowLoader((ids) => data.itemsByIds(db, ids), (row) => row.id),
  };
}

export type ${n.pascal}Loaders = ReturnType<typeof createLoaders>;
`;
