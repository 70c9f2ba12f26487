import { createDb, dbConfigFromEnv, rollbackAll } from '../../shared/db';
import { migrationsOf } from '../../shared/domain';
import { prepareDatabase } from '../../shared/subgraph-main';
import { domainNamed, domains } from '../../subgraphs';
import { numberFlag, parseFlags, UsageError } from '../args';

export const help = `meshgate seed [domain ...] [--scale 1] [--seed 42] [--reset]

Migrates each domain's database and fills it with the deterministic demo data (all domains when
none is named). Scale 1 is about 1,000 customers and 10,000 orders; scale 100 about a million
orders. Same seed and scale, same data. --reset empties the domain's tables first.`;

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseFlags(argv, { scale: { type: 'string' }, seed: { type: 'string' }, reset: { type: 'boolean' } }, 'seed');
  const names = positionals.length ? positionals : Object.keys(domains);
  const scale = numberFlag(values.scale, 'scale', 1);
  const demoSeed = numberFlag(values.seed, 'seed', 42);
  if (!(scale > 0 && scale <= 1000)) throw new UsageError(`--scale must be in (0, 1000], got ${scale}`);
  for (const name of names) {
    const domain = domainNamed(name);
    if (!domain) throw new UsageError(`unknown domain "${name}"; one of: ${Object.keys(domains).join(', ')}`);
    const db = createDb(dbConfigFromEnv(domain.name));
    try {
      if (values.reset) await rollbackAll(db, migrationsOf(domain));
      const started = Date.now();
      const seeded = await prepareDatabase(domain, db, {
        scale,
        demoSeed,
        onProgress: (table, done, total) => process.stdout.write(`${domain.name}: ${table} ${done}/${total}\n`),
      });
      const took = `${((Date.now() - started) / 1000).toFixed(1)} s`;
      process.stdout.write(seeded ? `${domain.name}: seeded at scale ${scale} in ${took}\n` : `${domain.name}: already has data, left as is (--reset to reseed)\n`);
    } finally {
      await db.close();
    }
  }
  return 0;
}

