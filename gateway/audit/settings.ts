import path from 'node:path';
import { LEVELS, isLevel, levelRank, type Level } from '../../shared/classification';
import { MeshgateError } from '../../shared/errors';
import { MIN_SECRET_LENGTH } from '../../shared/signing';
import type { AuditStoreConfig } from './store';
import type { AuditWriterOptions } from './writer';

/**
 * The audit trail's settings: the `meshgate.audit:` section of supergraph.yaml, each key
 * overridden by its environment variable (deployments set secrets and per-host values there).
 * MESHGATE_REPLICA_ID and MESHGATE_AUDIT_KEY are environment-only: a replica id in a shared file
 * would merge every replica's chain, and a signing key does not belong in a config file.
 */

/** The PostgreSQL schema holding the audit tables unless configured otherwise. */
export const DEFAULT_AUDIT_SCHEMA = 'audit';

type Parse<T> = (value: unknown, name: string, fromEnv: boolean) => T;

interface Setting<T> {
  env: string;
  parse: Parse<T>;
}

const invalid = (name: string, message: string, value: unknown): never => {
  throw new MeshgateError('CONFIG_INVALID', `${name} ${message}, got ${JSON.stringify(value)}`, { key: name });
};

const text =
  (pattern: RegExp, what: string): Parse<string> =>
  (value, name) =>
    typeof value === 'string' && pattern.test(value) ? value : invalid(name, `must be ${what}`, value);

const wholeNumber =
  (min: number, max: number): Parse<number> =>
  (value, name, fromEnv) => {
    const n = fromEnv && typeof value === 'string' && /^\d+$/.test(value.trim()) ? Number(value) : value;
    return typeof n === 'number' && Number.isInteger(n) && n >= min && n <= max ? n : invalid(name, `must be a whole number from ${min} to ${max}`, value);
  };

/**
 * Which levels fail closed: a level (that level and every level above it), a list of levels
 * (exactly those; comma-separated in the environment), or `none` (never refuse: serve unaudited).
 */
const failClosed: Parse<Level[]> = (value, name, fromEnv) => {
  const what = `a level (${LEVELS.join(', ')}: that level and above), a list of levels, or none`;
  if (fromEnv && typeof value === 'string' && value.includes(',')) value = value.split(',').map((s) => s.trim());
  if (value === 'none' || (Array.isArray(value) && value.length === 0)) return [];
  if (typeof value === 'string' && isLevel(value)) return LEVELS.filter((l) => levelRank(l) >= levelRank(value as Level));
  if (Array.isArray(value) && value.every(isLevel)) return [...new Set(value as Level[])];
  return invalid(name, `must be ${what}`, value);
};

const SETTINGS = {
  databaseUrl: { env: 'MESHGATE_AUDIT_DATABASE_URL', parse: text(/^postgres(ql)?:\/\/\S+$/, 'a postgres:// URL') },
  schema: { env: 'MESHGATE_AUDIT_DB_SCHEMA', parse: text(/^[A-Za-z_][A-Za-z0-9_]{0,62}$/, 'a PostgreSQL schema name (letters, digits, _)') },
  sqliteFile: { env: 'MESHGATE_AUDIT_SQLITE_FILE', parse: text(/\S/, 'the path of the SQLite file') },
  queueSize: { env: 'MESHGATE_AUDIT_QUEUE_SIZE', parse: wholeNumber(1, 10_000_000) },
  batchSize: { env: 'MESHGATE_AUDIT_BATCH_SIZE', parse: wholeNumber(1, 10_000) },
  flushIntervalMs: { env: 'MESHGATE_AUDIT_FLUSH_INTERVAL_MS', parse: wholeNumber(1, 60_000) },
  maxOutageMs: { env: 'MESHGATE_AUDIT_MAX_OUTAGE_MS', parse: wholeNumber(0, 3_600_000) },
  failClosed: { env: 'MESHGATE_AUDIT_FAIL_CLOSED', parse: failClosed },
} satisfies Record<string, Setting<unknown>>;

type Key = keyof typeof SETTINGS;
type Values = { [K in Key]?: ReturnType<(typeof SETTINGS)[K]['parse']> };

const ENV_ONLY: Record<string, string> = { key: 'MESHGATE_AUDIT_KEY', signingKey: 'MESHGATE_AUDIT_KEY', replica: 'MESHGATE_REPLICA_ID', replicaId: 'MESHGATE_REPLICA_ID' };

/** Every audit setting, file first, then its environment variable over it; invalid ones refused by name. */
function readSettings(meshgate: Record<string, unknown>, env: NodeJS.ProcessEnv): { values: Values; fromFile: Set<Key> } {
  const section = meshgate.audit ?? {};
  if (!section || typeof section !== 'object' || Array.isArray(section)) invalid('meshgate.audit', 'must be a mapping of audit settings', section);
  const file = section as Record<string, unknown>;
  for (const key of Object.keys(file)) {
    if (ENV_ONLY[key]) throw new MeshgateError('CONFIG_INVALID', `meshgate.audit.${key} is not read from the config file: set ${ENV_ONLY[key]} in the environment`, { key: `meshgate.audit.${key}` });
    if (!Object.hasOwn(SETTINGS, key)) {
      throw new MeshgateError('CONFIG_INVALID', `meshgate.audit.${key} is not an audit setting (known: ${Object.keys(SETTINGS).join(', ')})`, { key: `meshgate.audit.${key}` });
    }
  }
  const values: Record<string, unknown> = {};
  const fromFile = new Set<Key>();
  for (const [key, setting] of Object.entries(SETTINGS) as [Key, Setting<unknown>][]) {
    const fromEnv = env[setting.env];
    if (fromEnv !== undefined && fromEnv !== '') values[key] = setting.parse(fromEnv, setting.env, true);
    else if (file[key] !== undefined && file[key] !== null) {
      values[key] = setting.parse(file[key], `meshgate.audit.${key}`, false);
      fromFile.add(key);
    }
  }
  if (fromFile.has('databaseUrl') && fromFile.has('sqliteFile')) {
    throw new MeshgateError('CONFIG_INVALID', 'meshgate.audit.sqliteFile and meshgate.audit.databaseUrl: set one store, not both', { key: 'meshgate.audit.sqliteFile' });
  }
  return { values: values as Values, fromFile };
}

/** Refuses a missing or short signing key (`MESHGATE_AUDIT_KEY`). */
export function assertAuditKey(key: string | undefined): asserts key is string {
  if (!key) throw new MeshgateError('CONFIG_INVALID', 'MESHGATE_AUDIT_KEY is not set: pruning the audit trail needs the key that signs its checkpoints');
  if (key.length < MIN_SECRET_LENGTH) throw new MeshgateError('CONFIG_INVALID', `MESHGATE_AUDIT_KEY must be at least ${MIN_SECRET_LENGTH} characters`);
}

export interface AuditSettings {
  store: AuditStoreConfig;
  writer: Pick<AuditWriterOptions, 'maxQueue' | 'batchSize' | 'flushIntervalMs' | 'maxOutageMs' | 'failClosedLevels'>;
}

/**
 * The audit store and writer settings from the config's `meshgate:` section (relative paths
 * resolve against `baseDir`) and the environment. The store: PostgreSQL when a database URL is
 * set (schema default `audit`), else the SQLite file (default `<MESHGATE_DATA_DIR or .data>/audit.sqlite`).
 */
export function auditSettings(meshgate: Record<string, unknown> = {}, baseDir = process.cwd(), env: NodeJS.ProcessEnv = process.env): AuditSettings {
  const { values, fromFile } = readSettings(meshgate, env);
  const chain = env.MESHGATE_REPLICA_ID || undefined;
  const signingKey = env.MESHGATE_AUDIT_KEY || undefined;
  // Appends sign the chain head with it: a short key is refused up front, not at the first batch.
  if (signingKey !== undefined) assertAuditKey(signingKey);
  let store: AuditStoreConfig;
  if (values.databaseUrl) store = { url: values.databaseUrl, schema: values.schema ?? DEFAULT_AUDIT_SCHEMA, chain, signingKey };
  else {
    const sqliteFile = values.sqliteFile
      ? path.resolve(fromFile.has('sqliteFile') ? baseDir : process.cwd(), values.sqliteFile)
      : path.join(env.MESHGATE_DATA_DIR || path.resolve('.data'), 'audit.sqlite');
    store = { sqliteFile, chain, signingKey };
  }
  const writer: AuditSettings['writer'] = {};
  if (values.queueSize !== undefined) writer.maxQueue = values.queueSize;
  if (values.batchSize !== undefined) writer.batchSize = values.batchSize;
  if (values.flushIntervalMs !== undefined) writer.flushIntervalMs = values.flushIntervalMs;
  if (values.maxOutageMs !== undefined) writer.maxOutageMs = values.maxOutageMs;
  if (values.failClosed !== undefined) writer.failClosedLevels = values.failClosed;
  if (writer.batchSize !== undefined && writer.batchSize > (writer.maxQueue ?? 10_000)) {
    throw new MeshgateError('CONFIG_INVALID', `meshgate.audit.batchSize (${writer.batchSize}) must not exceed meshgate.audit.queueSize (${writer.maxQueue ?? 10_000})`, { key: 'meshgate.audit.batchSize' });
  }
  return { store, writer };
}

/** The store settings from the environment alone (no config file). */
export function auditStoreConfigFromEnv(env: NodeJS.ProcessEnv = process.env): AuditStoreConfig {
  return auditSettings({}, process.cwd(), env).store;
}
