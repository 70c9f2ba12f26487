import { runSubgraph } from '../../shared/subgraph-main';
import { domainNamed, domains } from '../../subgraphs';
import { UsageError } from '../args';

export const help = `meshgate subgraph <domain>

Runs one domain's subgraph service (${Object.keys(domains).join(', ')}). Environment: PORT, HOST,
DATABASE_URL and DB_SCHEMA (PostgreSQL; else SQLite under MESHGATE_DATA_DIR, default .data/),
MESHGATE_SEED=none (no demo data), MESHGATE_SCALE (demo data size, default 1).`;

export async function run(argv: string[]): Promise<number> {
  const domain = domainNamed(argv[0] ?? '');
  if (!domain) throw new UsageError(`unknown domain "${argv[0] ?? ''}"; one of: ${Object.keys(domains).join(', ')}`);
  runSubgraph(domain);
  return new Promise(() => {}); // runs until a signal stops it
}
