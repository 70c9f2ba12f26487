// A Meshgate gateway under benchmark, alone in its process: serves the supergraph file the
// benchmark composed (BENCH_SUPERGRAPH_FILE), listens on 127.0.0.1 port 0 and logs its URL as a
// JSON line when ready. SIGTERM or SIGINT stops it.
// With BENCH_GOVERNANCE (JSON: the config's `meshgate:` section) it serves the full governance
// pipeline (gateway/pipeline.ts) built from those settings; without it, none (ungoverned).
// With BENCH_AUDIT_STATS_FILE too, the pipeline gets an audit writer as `meshgate gateway` builds
// it (lazy store from MESHGATE_AUDIT_DATABASE_URL / MESHGATE_DATA_DIR, chain MESHGATE_REPLICA_ID),
// and a stats endpoint on another 127.0.0.1 port, whose URL it writes to that file:
// `GET /` → the writer's stats and the events in the store; `GET /?flush=1` flushes first.
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { auditStoreConfigFromEnv, lazyAuditStore } from '../gateway/audit/store';
import { createAuditWriter, type AuditWriter } from '../gateway/audit/writer';
import { limitHeapGrowth } from '../gateway/heap-growth';
import { createPipeline } from '../gateway/pipeline';
import { createGateway } from '../gateway/server';
import { createLogger } from '../shared/logger';

/** What the governed gateway's stats endpoint answers. */
export interface BenchAuditStats {
  queued: number;
  written: number;
  failedBatches: number;
  rejected: number;
  /** Requests held back by the writer (see `AuditWriter.caughtUp`): for a slice, or until it caught up. */
  heldBack: number;
  /** Rows in the store's `events` table. */
  events: number;
}

function serveAuditStats(writer: AuditWriter, store: ReturnType<typeof lazyAuditStore>, file: string): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    void (async () => {
      if (req.url?.includes('flush=1')) await writer.flush();
      const db = await store.open();
      const events = Number((await db.knex('events').count({ n: '*' }).first())?.n ?? 0);
      const { queued, written, failedBatches, rejected, heldBack } = writer.stats();
      const stats: BenchAuditStats = { queued, written, failedBatches, rejected, heldBack, events };
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(stats));
    })().catch((err) => res.writeHead(500).end(String(err)));
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      fs.writeFileSync(file, `http://127.0.0.1:${port}/`);
      resolve(server);
    }),
  );
}

async function main(): Promise<void> {
  // As `meshgate gateway` runs: MESHGATE_HEAP_GROWTH_PERCENT from the environment (default 100; bare keeps V8's own policy).
  limitHeapGrowth();
  const logger = createLogger('gateway');
  const supergraphSdl = fs.readFileSync(process.env.BENCH_SUPERGRAPH_FILE ?? '', 'utf8');
  const governance = process.env.BENCH_GOVERNANCE;
  const statsFile = process.env.BENCH_AUDIT_STATS_FILE;
  const store = governance && statsFile ? lazyAuditStore(auditStoreConfigFromEnv()) : undefined;
  const audit = store && createAuditWriter(store, { logger });
  const plugins = governance ? createPipeline({ settings: JSON.parse(governance), baseDir: path.join(__dirname, '..'), logger, audit }).plugins : [];
  const gateway = await createGateway({ supergraphSdl, plugins, logger });
  const url = await gateway.listen(0, '127.0.0.1');
  // Open the store now (migrations), not on the first measured request.
  if (store) await store.open();
  const stats = audit && store && statsFile ? await serveAuditStats(audit, store, statsFile) : undefined;
  // As `meshgate gateway`: in-flight requests finish, then every queued audit event is written.
  const stop = () =>
    void gateway
      .stop()
      .then(() => audit?.close())
      .finally(() => {
        stats?.close();
        process.exit(0);
      });
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  logger.info({ url: `${url}/graphql` }, `gateway ready at ${url}/graphql`);
}

main().catch((err) => {
  process.stderr.write(`gateway failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
