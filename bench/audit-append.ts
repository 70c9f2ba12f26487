// `npm run bench:audit -- [--batches N] [--batch-size N] [--entity-keys N] [--data-dir DIR]`: what one audit event costs the append
// thread, without the gateway around it. Appends events shaped like the benchmark's `small`
// workload (the 12 fields of `SmallOrders`, none personal, so no entity keys; `--entity-keys N`
// adds a personal field read from N customers, as `heavy`'s `Customer.contactName`) to a fresh SQLite file store,
// in transactions as the append thread runs them, after a warm-up that gives the b-trees depth.
// Prints CPU and wall microseconds per event. The store is a temporary file, removed afterwards
// unless `--data-dir` names where to keep it (`DIR/audit.sqlite`).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { auditEventId } from '../gateway/audit/event-id';
import { distinctNormalised } from '../gateway/audit/hash';
import { appendInTransaction, openAppendConnection } from '../gateway/audit/sqlite-append';
import { openAuditStore } from '../gateway/audit/store';
import type { AuditEvent } from '../gateway/audit/types';

// The fields `SmallOrders` (bench/workloads.ts) reads, as its audit events list them.
const COORDINATES = ['Query.orders', 'OrderConnection.nodes', 'Order.id', 'Order.orderDate', 'Order.total', 'Order.customer', 'Customer.companyName', 'Order.lines', 'OrderLine.quantity', 'OrderLine.product', 'Product.name', 'Product.unitPrice'];

/** Event `i`: `SmallOrders`' fields, plus a personal field read from `entityKeys` customers when that is above 0. */
function benchEvent(i: number, entityKeys: number): AuditEvent {
  const personal = entityKeys > 0 ? [{ coordinate: 'Customer.contactName', classification: { level: 'CONFIDENTIAL', category: 'CONTACT' }, decision: 'allowed', values: entityKeys, entityKeys: Array.from({ length: entityKeys }, (_, k) => `C${String((i * 7 + k) % 100_000).padStart(6, '0')}`) }] : [];
  return {
    id: auditEventId(),
    time: new Date(Date.now() + i).toISOString(),
    requestId: `bench-${i}`,
    subject: `user-${i % 8}`,
    roles: ['analyst'],
    clientName: 'bench',
    clientVersion: '1.0.0',
    purpose: null,
    operationName: 'SmallOrders',
    operationSignature: 'query SmallOrders{orders(first:5){nodes{customer{companyName}id lines{product{name unitPrice}quantity}orderDate total}}}',
    operationHash: 'a'.repeat(64),
    fields: [...COORDINATES.map((coordinate) => ({ coordinate, classification: { level: 'INTERNAL' }, decision: 'allowed', values: 5 })), ...personal],
    subgraphs: ['sales', 'inventory'],
    outcome: 'ok',
    errorCodes: [],
    latencyMs: 12.345,
  } as AuditEvent;
}

async function main() {
  const { values } = parseArgs({ options: { batches: { type: 'string', default: '200' }, 'batch-size': { type: 'string', default: '100' }, 'entity-keys': { type: 'string', default: '0' }, 'data-dir': { type: 'string' } } });
  const batches = Number(values.batches);
  const batchSize = Number(values['batch-size']);
  const entityKeys = Number(values['entity-keys']);
  if (!(batches > 0 && batchSize > 0)) throw new Error('--batches and --batch-size must be positive numbers');
  if (!(Number.isInteger(entityKeys) && entityKeys >= 0)) throw new Error('--entity-keys must be a whole number (0 or more)');
  const dir = values['data-dir'] ? path.resolve(values['data-dir']) : fs.mkdtempSync(path.join(os.tmpdir(), 'meshgate-audit-bench-'));
  fs.mkdirSync(dir, { recursive: true });
  try {
    const file = path.join(dir, 'audit.sqlite');
    const store = await openAuditStore({ sqliteFile: file, chain: 'bench' });
    await store.close();
    const conn = openAppendConnection(file);
    let n = 0;
    const batchesOf = (count: number) => Array.from({ length: count }, () => Array.from({ length: batchSize }, () => benchEvent(n++, entityKeys)));
    for (const batch of batchesOf(batches)) appendInTransaction(conn, 'bench', distinctNormalised(batch));
    const measured = batchesOf(batches);
    const cpu = process.cpuUsage();
    const started = performance.now();
    for (const batch of measured) appendInTransaction(conn, 'bench', distinctNormalised(batch));
    const used = process.cpuUsage(cpu);
    const events = batches * batchSize;
    conn.close();
    process.stdout.write(
      `${events} small-shaped events${entityKeys ? ` with ${entityKeys} entity keys each` : ''} in ${batches} transactions of ${batchSize} (after as many to warm up), ${os.cpus()[0]?.model ?? 'unknown CPU'}\n` +
        `CPU ${((used.user + used.system) / events).toFixed(0)} µs per event, wall ${(((performance.now() - started) * 1000) / events).toFixed(0)} µs\n`,
    );
  } finally {
    if (!values['data-dir']) fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).message}\n`);
  process.exit(1);
});
