import { createDb, dbConfigFromEnv, migrateToLatest, type Database } from './db';
import { demoWorld } from './demo-data';
import { migrationsOf, type Domain, type SeedProgress } from './domain';
import { MeshgateError } from './errors';
import { recordDataLoad } from './freshness';
import { createLogger } from './logger';
import { createSubgraphService } from './subgraph-server';

export interface PrepareOptions {
  /** Seed demo data into an empty database (default true). */
  seedDemo?: boolean;
  scale?: number;
  demoSeed?: number;
  /** Told of seeding progress, at most about once a second per table and at each table's end. */
  onProgress?: SeedProgress;
}

/**
 * Migrates the domain's database to the latest schema and seeds demo data when it is empty.
 * Returns whether it seeded.
 */
export async function prepareDatabase(domain: Domain, db: Database, options: PrepareOptions = {}): Promise<boolean> {
  await migrateToLatest(db, migrationsOf(domain));
  if (options.seedDemo === false || !(await domain.isEmpty(db))) return false;
  const world = demoWorld(options.scale ?? 1, options.demoSeed ?? 42);
  const onProgress = options.onProgress;
  let lastReported = 0;
  await domain.seed(db, world, (table, done, total) => {
    if (!onProgress || (Date.now() - lastReported < 1000 && done < total)) return;
    lastReported = Date.now();
    onProgress(table, done, total);
  });
  await recordDataLoad(db, 'demo');
  return true;
}

/**
 * The Node flags a subgraph process starts with (compose.yaml, `meshgate start`, the benchmark):
 * young-generation semi-spaces of 32 MB instead of V8's 16. A subgraph's objects live for one call,
 * but each young collection copies those of every call in flight; half as many collections copied
 * about as much each. On the benchmark's `heavy` (3 rounds, before and after in turn): the
 * subgraphs' CPU per governed request 6.0 → 5.7 ms, per bare request 14.6 → 13.7; 64 MB gained
 * nothing more (bench/README.md). V8 sizes the young generation only at start.
 */
export const SUBGRAPH_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=32'];

function numberFromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value)) throw new MeshgateError('CONFIG_INVALID', `${name} must be a number, got "${raw}"`);
  return value;
}

/**
 * The entry point every domain's `main.ts` calls: `PORT`, `HOST`, `DATABASE_URL`/`DB_SCHEMA`
 * (else SQLite under `MESHGATE_DATA_DIR`), `MESHGATE_SEED=none` to skip demo data,
 * `MESHGATE_SCALE` for its size. Stops cleanly on SIGTERM and SIGINT.
 */
export function runSubgraph(domain: Domain): void {
  const logger = createLogger(domain.name);
  const start = async () => {
    const db = createDb(dbConfigFromEnv(domain.name));
    await prepareDatabase(domain, db, {
      seedDemo: process.env.MESHGATE_SEED !== 'none',
      scale: numberFromEnv('MESHGATE_SCALE', 1),
      demoSeed: numberFromEnv('MESHGATE_DEMO_SEED', 42),
      onProgress: (table, done, total) => logger.info({ table, done, total }, `seeding ${table}: ${done}/${total}`),
    });
    const service = await createSubgraphService(domain, db, logger);
    const url = await service.listen(numberFromEnv('PORT', domain.defaultPort), process.env.HOST || '127.0.0.1');
    logger.info({ url: `${url}/graphql` }, `${domain.name} subgraph ready at ${url}/graphql`);
    // A launcher (`meshgate start`, the benchmark) learns the bound URL here, whatever the log level.
    process.send?.({ type: 'ready', url });
    const stop = async (signal: string) => {
      logger.info({ signal }, 'shutting down');
      await service.stop();
      await db.close();
      process.exit(0);
    };
    process.once('SIGTERM', () => void stop('SIGTERM'));
    process.once('SIGINT', () => void stop('SIGINT'));
  };
  start().catch((err) => {
    const message = err instanceof MeshgateError ? `${err.code}: ${err.message}` : err instanceof Error ? err.message : String(err);
    logger.fatal({ err }, `${domain.name} failed to start: ${message}`);
    process.stderr.write(`${domain.name} failed to start: ${message}\n`);
    process.exit(1);
  });
}
