import fs from 'node:fs';
import { DEFAULT_CONFIG_FILE, loadConfig } from '../../gateway/config';
import { auditSettings } from '../../gateway/audit/settings';
import { exportEvents, fieldUsageByDay, queryEvents, subjectAccess, unusedFields, type Decision } from '../../gateway/audit/queries';
import { prune } from '../../gateway/audit/prune';
import { assertAuditKey, openAuditStore, type AuditStore, type StoredAuditEvent } from '../../gateway/audit/store';
import { verify } from '../../gateway/audit/verify';
import { readClassifications } from '../../gateway/governance';
import { isLevel, LEVELS } from '../../shared/classification';
import { parseFlags, UsageError } from '../args';
import { loadSupergraph } from './gateway';

export const help = `meshgate audit verify|query|export|prune|subject|usage|unused [options]   the per-field audit trail

  meshgate audit verify [--format text|json] [--require-signed-heads]
      Checks every hash chain end to end, and the field-usage and entity-key index rows against
      the events; exit 0 when intact, 1 naming the first broken event per chain and its kind of
      tampering (AUDIT_TAMPERED). With MESHGATE_AUDIT_KEY it also checks checkpoints and signed
      heads (events cut off a chain's end); without it, it warns that truncation goes unseen.
      --require-signed-heads: a chain without a signed head fails instead of warning.
  meshgate audit query [--subject S] [--client C] [--field Type.field] [--level L] [--decision D]
                       [--since 30d|DATE] [--until DATE] [--limit N] [--cursor C] [--format table|json]
      Events newest first (default 100, at most 1000 a page); field, level and decision match one same field.
  meshgate audit export --format jsonl|csv [--since 30d|DATE] [--until DATE] [--output FILE]
      Every event, oldest first, to stdout or FILE.
  meshgate audit prune --before DATE|90d
      Removes older events, writing a checkpoint per chain signed with MESHGATE_AUDIT_KEY (required).
  meshgate audit subject <entity-key> [--since 90d|DATE] [--format table|json]
      Who has seen this entity's personal data: time, subject, client, purpose, fields.
  meshgate audit usage [--field Type.field] [--client C] [--since 30d|DATE] [--until DATE] [--format table|json]
      Field usage per day, field and client: operations, values returned, allowed/masked/denied.
  meshgate audit unused [--since 30d|DATE] [--config supergraph.yaml | --supergraph FILE] [--format table|json]
      Fields of the supergraph that no operation used since then (candidates for removal).

Every subcommand takes --config FILE (default supergraph.yaml when present) for its meshgate.audit
store settings. The store: MESHGATE_AUDIT_DATABASE_URL or meshgate.audit.databaseUrl (PostgreSQL,
schema MESHGATE_AUDIT_DB_SCHEMA / meshgate.audit.schema or "audit"), else meshgate.audit.sqliteFile,
else <MESHGATE_DATA_DIR or .data>/audit.sqlite. Durations: 30d, 12h, 45m.`;

const UNIT_MS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `30d` / `12h` / `45m` before now, or an ISO 8601 date. */
export function parseWhen(value: string | undefined, flag: string, now = Date.now()): Date | undefined {
  if (value === undefined) return undefined;
  const rel = /^(\d+)([mhd])$/.exec(value.trim());
  if (rel) return new Date(now - Number(rel[1]) * UNIT_MS[rel[2]]);
  if (/^\d{4}-\d{2}-\d{2}/.test(value.trim())) {
    const date = new Date(value.trim());
    if (!Number.isNaN(date.getTime())) return date;
  }
  throw new UsageError(`--${flag} must be a duration like 30d, 12h or 45m, or a date like 2025-01-31, got "${value}"`);
}

function formatFlag<T extends string>(value: string | undefined, allowed: readonly T[], fallback: T | undefined, sub: string): T {
  const format = (value ?? fallback) as T | undefined;
  if (!format) throw new UsageError(`audit ${sub}: --format is required (${allowed.join(' or ')})`);
  if (!allowed.includes(format)) throw new UsageError(`audit ${sub}: --format must be ${allowed.join(' or ')}, got "${value}"`);
  return format;
}

/** The store the config's `meshgate.audit` section and the environment name (as the gateway reads them). */
function storeConfig(configFlag: string | undefined) {
  const file = configFlag ?? (fs.existsSync(DEFAULT_CONFIG_FILE) ? DEFAULT_CONFIG_FILE : undefined);
  const config = file ? loadConfig(file) : undefined;
  return auditSettings(config?.settings ?? {}, config?.baseDir ?? process.cwd()).store;
}

async function withStore<T>(configFlag: string | undefined, fn: (store: AuditStore) => Promise<T>): Promise<T> {
  const store = await openAuditStore(storeConfig(configFlag));
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

const out = (text: string) => process.stdout.write(text);

function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.min(60, Math.max(h.length, ...rows.map((r) => r[i].length))));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]))).join('  ').trimEnd();
  return [line(headers), ...rows.map(line)].join('\n') + '\n';
}

const fieldSummary = (e: StoredAuditEvent) => e.fields.map((f) => (f.decision === 'allowed' ? f.coordinate : `${f.coordinate}(${f.decision})`)).join(',');

async function runVerify(argv: string[]): Promise<number> {
  const { values } = parseFlags(argv, { format: { type: 'string' }, config: { type: 'string' }, 'require-signed-heads': { type: 'boolean' } }, 'audit');
  const format = formatFlag(values.format, ['text', 'json'] as const, 'text', 'verify');
  const options = { key: process.env.MESHGATE_AUDIT_KEY || undefined, requireSignedHeads: values['require-signed-heads'] };
  const report = await withStore(values.config, (store) => verify(store, options));
  if (format === 'json') out(`${JSON.stringify(report, null, 2)}\n`);
  else if (report.chains.length === 0 && report.orphans.length === 0) out('audit trail is empty: nothing to verify\n');
  else {
    for (const c of report.chains) {
      const from = c.checkpointSeq !== undefined ? ` from checkpoint at seq ${c.checkpointSeq}` : '';
      const signed = c.signedHeadSeq !== undefined ? `, signed head at seq ${c.signedHeadSeq}` : '';
      if (c.ok) out(`chain ${c.chain}: ok, ${c.events} events${from}, last seq ${c.lastSeq}${signed}\n`);
      else out(`chain ${c.chain}: BROKEN at seq ${c.broken!.seq}${c.broken!.eventId ? ` (event ${c.broken!.eventId})` : ''}: ${c.broken!.reason} [${c.broken!.kind}]\n`);
    }
    for (const o of report.orphans) out(`index ${o.table}: BROKEN: ${o.reason} [${o.kind}]\n`);
  }
  // Warnings say what this run could not check; they never change the exit code.
  for (const w of report.warnings) process.stderr.write(`warning: ${w}\n`);
  for (const c of report.chains) for (const w of c.warnings) process.stderr.write(`warning: chain ${c.chain}: ${w}\n`);
  if (report.ok) return 0;
  const broken = report.chains.filter((c) => !c.ok).length;
  const orphans = report.orphans.length ? `; ${report.orphans.length} event id(s) with index rows but no event` : '';
  process.stderr.write(`meshgate audit: AUDIT_TAMPERED: ${broken} of ${report.chains.length} chain${report.chains.length === 1 ? '' : 's'} failed verification${orphans}\n`);
  return 1;
}

async function runQuery(argv: string[]): Promise<number> {
  const { values } = parseFlags(
    argv,
    {
      subject: { type: 'string' },
      client: { type: 'string' },
      field: { type: 'string' },
      level: { type: 'string' },
      decision: { type: 'string' },
      since: { type: 'string' },
      until: { type: 'string' },
      limit: { type: 'string' },
      cursor: { type: 'string' },
      format: { type: 'string' },
      config: { type: 'string' },
    },
    'audit',
  );
  const format = formatFlag(values.format, ['table', 'json'] as const, 'table', 'query');
  const level = values.level?.toUpperCase();
  if (level !== undefined && !isLevel(level)) throw new UsageError(`--level must be one of ${LEVELS.join(', ')}, got "${values.level}"`);
  const decision = values.decision?.toLowerCase();
  if (decision !== undefined && !['allowed', 'masked', 'denied'].includes(decision)) throw new UsageError(`--decision must be allowed, masked or denied, got "${values.decision}"`);
  const limit = values.limit === undefined ? undefined : Number(values.limit);
  if (limit !== undefined && !Number.isInteger(limit)) throw new UsageError(`--limit must be a whole number, got "${values.limit}"`);
  const page = await withStore(values.config, (store) =>
    queryEvents(store, {
      subject: values.subject,
      client: values.client,
      field: values.field,
      level,
      decision: decision as Decision | undefined,
      since: parseWhen(values.since, 'since'),
      until: parseWhen(values.until, 'until'),
      limit,
      cursor: values.cursor,
    }),
  );
  if (format === 'json') {
    out(`${JSON.stringify(page, null, 2)}\n`);
    return 0;
  }
  out(
    table(
      ['TIME', 'SUBJECT', 'CLIENT', 'OPERATION', 'OUTCOME', 'FIELDS'],
      page.events.map((e) => [e.time, e.subject ?? '-', e.clientName ?? '-', e.operationName ?? '-', e.outcome, fieldSummary(e)]),
    ),
  );
  out(`${page.events.length} event${page.events.length === 1 ? '' : 's'}${page.nextCursor ? `; more with --cursor ${page.nextCursor}` : ''}\n`);
  return 0;
}

const CSV_COLUMNS = [
  'id', 'chain', 'seq', 'time', 'requestId', 'subject', 'roles', 'clientName', 'clientVersion', 'purpose', 'operationName',
  'operationSignature', 'operationHash', 'subgraphs', 'outcome', 'errorCodes', 'latencyMs', 'fields', 'prevHash', 'hash',
] as const;

/** RFC 4180: quote when needed, `""` for a quote; null is an empty unquoted field; arrays and objects as JSON. */
function csvCell(value: unknown): string {
  if (value === null || value === undefined) return '';
  const text = typeof value === 'object' ? JSON.stringify(value) : String(value);
  return /[",\r\n]/.test(text) || text === '' ? `"${text.replace(/"/g, '""')}"` : text;
}

async function runExport(argv: string[]): Promise<number> {
  const { values } = parseFlags(argv, { format: { type: 'string' }, since: { type: 'string' }, until: { type: 'string' }, output: { type: 'string' }, config: { type: 'string' } }, 'audit');
  const format = formatFlag(values.format, ['jsonl', 'csv'] as const, undefined, 'export');
  const range = { since: parseWhen(values.since, 'since'), until: parseWhen(values.until, 'until') };
  const fd = values.output ? fs.openSync(values.output, 'w') : undefined;
  const write = (text: string) => (fd === undefined ? out(text) : fs.writeSync(fd, text));
  let n = 0;
  try {
    await withStore(values.config, async (store) => {
      if (format === 'csv') write(`${CSV_COLUMNS.join(',')}\r\n`);
      for await (const e of exportEvents(store, range)) {
        write(format === 'jsonl' ? `${JSON.stringify(e)}\n` : `${CSV_COLUMNS.map((c) => csvCell(e[c])).join(',')}\r\n`);
        n += 1;
      }
    });
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
  if (values.output) out(`exported ${n} event${n === 1 ? '' : 's'} to ${values.output}\n`);
  return 0;
}

async function runPrune(argv: string[]): Promise<number> {
  const { values } = parseFlags(argv, { before: { type: 'string' }, config: { type: 'string' } }, 'audit');
  const before = parseWhen(values.before, 'before');
  if (!before) throw new UsageError('audit prune: --before is required (a date like 2025-01-31, or 90d)');
  const key = process.env.MESHGATE_AUDIT_KEY;
  assertAuditKey(key);
  const result = await withStore(values.config, (store) => prune(store, before, key));
  out(`pruned ${result.removed} event${result.removed === 1 ? '' : 's'} before ${before.toISOString()}\n`);
  for (const c of result.chains) out(`chain ${c.chain}: ${c.removed} removed, signed checkpoint at seq ${c.checkpointSeq}\n`);
  return 0;
}

async function runSubject(argv: string[]): Promise<number> {
  const { values, positionals } = parseFlags(argv, { since: { type: 'string' }, format: { type: 'string' }, config: { type: 'string' } }, 'audit');
  const format = formatFlag(values.format, ['table', 'json'] as const, 'table', 'subject');
  const [entityKey, ...extra] = positionals;
  if (!entityKey || extra.length) throw new UsageError('audit subject: give exactly one entity key, e.g. `meshgate audit subject C000001`');
  const since = parseWhen(values.since ?? '90d', 'since');
  const records = await withStore(values.config, (store) => subjectAccess(store, entityKey, { since }));
  if (format === 'json') {
    out(`${JSON.stringify(records, null, 2)}\n`);
    return 0;
  }
  // A masked field is marked: the caller saw a mask of the value, not the value.
  const fieldsOf = (r: (typeof records)[number]) => r.fields.map((f) => (f.decision === 'masked' ? `${f.coordinate} (masked)` : f.coordinate)).join(',');
  out(table(['TIME', 'SUBJECT', 'CLIENT', 'PURPOSE', 'FIELDS'], records.map((r) => [r.time, r.subject ?? '-', r.client ?? '-', r.purpose ?? '-', fieldsOf(r)])));
  out(`${records.length} access${records.length === 1 ? '' : 'es'} to ${entityKey}'s personal data since ${since!.toISOString()}\n`);
  return 0;
}

async function runUsage(argv: string[]): Promise<number> {
  const { values } = parseFlags(
    argv,
    { field: { type: 'string' }, client: { type: 'string' }, since: { type: 'string' }, until: { type: 'string' }, format: { type: 'string' }, config: { type: 'string' } },
    'audit',
  );
  const format = formatFlag(values.format, ['table', 'json'] as const, 'table', 'usage');
  const filter = { coordinate: values.field, client: values.client, since: parseWhen(values.since ?? '30d', 'since'), until: parseWhen(values.until, 'until') };
  const days = await withStore(values.config, (store) => fieldUsageByDay(store, filter));
  if (format === 'json') {
    out(`${JSON.stringify(days, null, 2)}\n`);
    return 0;
  }
  out(table(['DAY', 'FIELD', 'CLIENT', 'OPERATIONS', 'VALUES', 'ALLOWED', 'MASKED', 'DENIED'], days.map((d) => [d.day, d.coordinate, d.client ?? '-', d.events, d.values, d.allowed, d.masked, d.denied].map(String))));
  return 0;
}

async function runUnused(argv: string[]): Promise<number> {
  const { values } = parseFlags(argv, { since: { type: 'string' }, config: { type: 'string' }, supergraph: { type: 'string' }, format: { type: 'string' } }, 'audit');
  const format = formatFlag(values.format, ['table', 'json'] as const, 'table', 'unused');
  const since = parseWhen(values.since ?? '30d', 'since');
  // Every field the supergraph offers, whether or not it is classified yet.
  const supergraphSdl = await loadSupergraph({ supergraph: values.supergraph, config: values.config, defaultClassification: 'RESTRICTED' });
  const coordinates = [...readClassifications(supergraphSdl).keys()].sort();
  const unused = await withStore(values.config, (store) => unusedFields(store, coordinates, { since }));
  if (format === 'json') {
    out(`${JSON.stringify(unused, null, 2)}\n`);
    return 0;
  }
  for (const coordinate of unused) out(`${coordinate}\n`);
  out(`${unused.length} of ${coordinates.length} fields unused since ${since!.toISOString()}\n`);
  return 0;
}

const SUBCOMMANDS: Record<string, (argv: string[]) => Promise<number>> = {
  verify: runVerify,
  query: runQuery,
  export: runExport,
  prune: runPrune,
  subject: runSubject,
  usage: runUsage,
  unused: runUnused,
};

export async function run(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (!sub || !Object.hasOwn(SUBCOMMANDS, sub)) {
    throw new UsageError(`${sub ? `unknown subcommand "${sub}"` : 'a subcommand is required'}: verify, query, export, prune, subject, usage or unused (see \`meshgate help audit\`)`);
  }
  return SUBCOMMANDS[sub](rest);
}
