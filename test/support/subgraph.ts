import type { Dialect } from '../../shared/db';
import type { Domain } from '../../shared/domain';
import { prepareDatabase } from '../../shared/subgraph-main';
import { createSubgraphService, type SubgraphService } from '../../shared/subgraph-server';
import { createTestDb } from './db';

export interface RunningSubgraph {
  service: SubgraphService;
  url: string;
  /** POSTs a GraphQL request to the subgraph and returns the parsed body. */
  query(query: string, variables?: Record<string, unknown>): Promise<{ data?: any; errors?: any[] }>;
  /** SQL statements the subgraph's database has run so far. */
  statements(): number;
  stop(): Promise<void>;
}

export async function postGraphql(url: string, query: string, variables?: Record<string, unknown>, headers: Record<string, string> = {}) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ query, variables }),
  });
  return (await res.json()) as { data?: any; errors?: any[] };
}

/** Starts one domain subgraph on a real HTTP port over a fresh seeded database. */
export async function startSubgraph(domain: Domain, dialect: Dialect, options: { scale?: number; seedDemo?: boolean } = {}): Promise<RunningSubgraph> {
  const db = createTestDb(dialect, domain.name);
  await prepareDatabase(domain, db, { scale: options.scale ?? 0.05, seedDemo: options.seedDemo });
  const service = await createSubgraphService(domain, db);
  const url = await service.listen(0);
  return {
    service,
    url,
    query: (query, variables) => postGraphql(`${url}/graphql`, query, variables),
    statements: () => db.statements(),
    async stop() {
      await service.stop();
      await db.close();
    },
  };
}
