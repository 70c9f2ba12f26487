import fs from 'node:fs';
import path from 'node:path';
import { composeSupergraph } from '../../gateway/compose';
import type { MeshgatePlugin } from '../../gateway/plugins/types';
import { createGateway, type MeshgateGateway } from '../../gateway/server';
import type { Database, Dialect } from '../../shared/db';
import { prepareDatabase } from '../../shared/subgraph-main';
import { createSubgraphService, type SubgraphService } from '../../shared/subgraph-server';
import { domains } from '../../subgraphs';
import { createTestDb } from './db';
import { postGraphql } from './subgraph';

export interface RunningMesh {
  gatewayUrl: string;
  /** The composed supergraph the gateway serves (to start another gateway over the same services). */
  supergraphSdl: string;
  gateway: MeshgateGateway;
  services: Record<string, { service: SubgraphService; db: Database; url: string }>;
  query(query: string, variables?: Record<string, unknown>): Promise<{ data?: any; errors?: any[] }>;
  /** SQL statements run so far, per domain. */
  statements(): Record<string, number>;
  stop(): Promise<void>;
}

export interface MeshOptions {
  scale?: number;
  /** Fill each domain's database before the services start (instead of demo data). */
  load?: (domain: string, db: Database) => Promise<void>;
  /** A secret shared by every subgraph and the gateway: subgraphs then execute only gateway-signed requests. */
  subgraphSecret?: string;
  /** The gateway's request pipeline (default none: ungoverned). */
  plugins?: MeshgatePlugin[];
}

/** The whole demo mesh in one process: every domain on its own port and database, plus the gateway. */
export async function startMesh(dialect: Dialect, options: MeshOptions = {}): Promise<RunningMesh> {
  const services: RunningMesh['services'] = {};
  const stops: (() => Promise<void>)[] = [];
  try {
    for (const domain of Object.values(domains)) {
      const db = createTestDb(dialect, domain.name);
      stops.push(() => db.close());
      await prepareDatabase(domain, db, { scale: options.scale ?? 0.05, seedDemo: !options.load });
      await options.load?.(domain.name, db);
      const service = await createSubgraphService(domain, db, undefined, { secret: options.subgraphSecret });
      const url = await service.listen(0);
      stops.push(() => service.stop());
      services[domain.name] = { service, db, url };
    }
    const composed = composeSupergraph(
      Object.values(domains).map((d) => ({
        name: d.name,
        routingUrl: `${services[d.name].url}/graphql`,
        origin: path.relative(process.cwd(), d.schemaFile),
        sdl: fs.readFileSync(d.schemaFile, 'utf8'),
        descriptor: path.join(path.dirname(d.schemaFile), 'data-product.yaml'),
      })),
    );
    if (!composed.ok) throw new Error(`demo mesh does not compose: ${JSON.stringify(composed.problems, null, 2)}`);
    const gateway = await createGateway({ supergraphSdl: composed.supergraphSdl, subgraphSecret: options.subgraphSecret, plugins: options.plugins });
    const gatewayUrl = await gateway.listen(0);
    stops.push(() => gateway.stop());
    return {
      gatewayUrl,
      supergraphSdl: composed.supergraphSdl,
      gateway,
      services,
      query: (query, variables) => postGraphql(`${gatewayUrl}/graphql`, query, variables),
      statements: () => Object.fromEntries(Object.entries(services).map(([name, s]) => [name, s.db.statements()])),
      stop: async () => {
        for (const stop of stops.reverse()) await stop();
      },
    };
  } catch (err) {
    // Clean up what did start; the start-up error is the one worth reporting.
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
    throw err;
  }
}
