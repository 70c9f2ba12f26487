// `npm run bench:data -- [--scale 100] [--data-dir DIR] [--customers 5] [--pages 25]`
//
// The data path of issue #7 at scale: seeds the sales domain (scale 100 is about a million orders)
// with progress, then walks "orders of a customer" page by page with keyset cursors through the
// sales subgraph's own HTTP endpoint (loopback, no gateway), and reports milliseconds per page,
// SQL statements per page and SQLite's plan for the page query. A data directory that already
// holds sales data is reused as it is (seeding is the slow part), e.g. one `meshgate seed sales
// --scale 100` filled (MESHGATE_DATA_DIR).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { createDb } from '../shared/db';
import { createLogger } from '../shared/logger';
import { prepareDatabase } from '../shared/subgraph-main';
import { createSubgraphService } from '../shared/subgraph-server';
import { domains } from '../subgraphs';

const PAGE = `query CustomerOrders($id: ID!, $after: String) {
  customer(id: $id) { orders(first: 20, after: $after) { pageInfo { hasNextPage endCursor } nodes { id orderDate status total } } }
}`;

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { scale: { type: 'string' }, 'data-dir': { type: 'string' }, customers: { type: 'string' }, pages: { type: 'string' } } });
  const scale = Number(values.scale ?? 100);
  const dataDir = path.resolve(values['data-dir'] ?? path.join(os.tmpdir(), `meshgate-data-path-${scale}`));
  const customers = Number(values.customers ?? 5);
  const maxPages = Number(values.pages ?? 25);
  if (!(scale > 0) || !(customers > 0) || !(maxPages > 0)) throw new Error('--scale, --customers and --pages must be positive numbers');
  fs.mkdirSync(dataDir, { recursive: true });
  process.env.APOLLO_TELEMETRY_DISABLED = 'true';
  const log = (line: string) => process.stderr.write(`${line}\n`);

  const sales = domains.sales;
  const db = createDb({ sqliteFile: path.join(dataDir, 'sales.sqlite') });
  const seedStarted = performance.now();
  const seeded = await prepareDatabase(sales, db, { scale, onProgress: (table, done, total) => log(`seeding ${table}: ${done}/${total}`) });
  const seedSeconds = (performance.now() - seedStarted) / 1000;
  const orders = Number((await db.knex('orders').count({ n: '*' }).first())?.n ?? 0);
  log(seeded ? `seeded sales at scale ${scale} in ${seedSeconds.toFixed(0)} s` : `reused ${dataDir} (${orders} orders)`);

  const service = await createSubgraphService(sales, db, createLogger('sales', 'warn'));
  const url = `${await service.listen(0)}/graphql`;
  try {
    const busiest = (await db.knex('orders').select('customer_id').count({ n: '*' }).groupBy('customer_id').orderBy('n', 'desc').limit(customers)) as { customer_id: string; n: number }[];
    const post = async (variables: Record<string, unknown>) => {
      const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: PAGE, variables }) });
      const body = (await res.json()) as { data?: any; errors?: unknown[] };
      if (body.errors) throw new Error(`page failed: ${JSON.stringify(body.errors)}`);
      return body.data.customer.orders;
    };
    await post({ id: String(busiest[0].customer_id) }); // warm: parse, validate, prepared statements
    const times: number[] = [];
    const statements: number[] = [];
    let rows = 0;
    for (const { customer_id: id } of busiest) {
      let after: string | undefined;
      for (let page = 0; page < maxPages; page++) {
        const before = db.statements();
        const started = performance.now();
        const result = await post({ id: String(id), after });
        times.push(performance.now() - started);
        statements.push(db.statements() - before);
        rows += result.nodes.length;
        if (!result.pageInfo.hasNextPage) break;
        after = result.pageInfo.endCursor;
      }
    }
    // The page query as the subgraph runs it, and how SQLite answers it.
    const queries: { sql: string; bindings: unknown[] }[] = [];
    const capture = (q: { sql: string; bindings?: unknown[] }) => queries.push({ sql: q.sql, bindings: q.bindings ?? [] });
    db.knex.on('query', capture);
    // A later page: its keyset condition is what must use the (customer_id, order_date, id) index.
    const first = await post({ id: String(busiest[0].customer_id) });
    queries.length = 0;
    await post({ id: String(busiest[0].customer_id), after: first.pageInfo.endCursor });
    db.knex.removeListener('query', capture);
    const page = queries.find((q) => /from [`"]orders[`"]/i.test(q.sql) && /customer_id/.test(q.sql));
    const plan = page ? ((await db.knex.raw(`EXPLAIN QUERY PLAN ${page.sql}`, page.bindings as never)) as { detail: string }[]).map((r) => r.detail) : [];

    const sorted = [...times].sort((a, b) => a - b);
    const report = {
      machine: `${os.cpus()[0]?.model.split(' ')[0] ?? 'cpu'}, ${os.cpus().length} cores, node ${process.version}`,
      scale,
      orders,
      seedSeconds: seeded ? Math.round(seedSeconds) : null,
      customers: busiest.map((c) => ({ id: c.customer_id, orders: Number(c.n) })),
      pages: times.length,
      rows,
      msPerPage: { p50: +percentile(sorted, 50).toFixed(2), p99: +percentile(sorted, 99).toFixed(2), max: +sorted[sorted.length - 1].toFixed(2) },
      sqlPerPage: { min: Math.min(...statements), max: Math.max(...statements) },
      pageSql: page?.sql,
      plan,
    };
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    process.stdout.write(`orders of a customer at scale ${scale} (${orders} orders): p50 ${report.msPerPage.p50} ms, p99 ${report.msPerPage.p99} ms per page of 20 at the subgraph; ${report.sqlPerPage.max} SQL per page\n`);
  } finally {
    await service.stop();
    await db.close();
  }
}

main().catch((err) => {
  process.stderr.write(`data-path benchmark failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
