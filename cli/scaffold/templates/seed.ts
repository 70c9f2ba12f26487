import type { DomainNames } from '../names';

/** seed.ts and its demo rows: a pure function of (world, index), so every start seeds the same data. */
export const seedTs = (n: DomainNames) => `import type { Database } from '../../shared/db';
import { insertInChunks } from '../../shared/db';
import { addDays, rngFor, type DemoWorld } from '../../shared/demo-data';
import type { SeedProgress } from '../../shared/domain';

const ADJECTIVES = ['Amber', 'Brisk', 'Cedar', 'Dune', 'Ember', 'Fjord', 'Granite', 'Harbor'];
const NOUNS = ['Plan', 'Offer', 'Voucher', 'Tier', 'Badge', 'Bundle'];

/** How many demo items a world holds: 50 at scale 1, at least 10. */
export const demoItemCount = (world: DemoWorld) => Math.max(10, Math.round(50 * world.scale));

/** Demo item \`i\` (0-based; its id is i + 1): the same for the same world, in any process. */
export function demoItem(world: DemoWorld, i: number) {
  const rng = rngFor(world, '${n.domain}-item', i);
  const name = \`\${ADJECTIVES[Math.floor(rng() * ADJECTIVES.length)]} \${NOUNS[Math.floor(rng() * NOUNS.length)]} \${i + 1}\`;
  return {
    id: i + 1,
    name,
    description: rng() < 0.8 ? \`\${name}, a demo item of the ${n.domain} domain.\` : null,
    createdAt: \`\${addDays(world.firstOrderDate, Math.floor(rng() * 700))}T12:00:00.000Z\`,
  };
}

/** Writes the ${n.domain} part of the demo world in one transaction. */
export async function seed(db: Database, world: DemoWorld, onProgress: SeedProgress = () => {}): Promise<void> {
  const count = demoItemCount(world);
  const rows = Array.from({ length: count }, (_, i) => demoItem(world, i)).map((item) => ({
    id: item.id,
    name: item.name,
    description: item.description,
    created_at: item.createdAt,
  }));
  await db.knex.transaction((trx) => insertInChunks(trx, 'items', rows));
  onProgress('items', count, count);
}
`;
