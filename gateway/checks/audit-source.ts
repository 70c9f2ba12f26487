import fs from 'node:fs';
import path from 'node:path';
import { MeshgateError } from '../../shared/errors';
import { auditStoreConfigFromEnv, DEFAULT_AUDIT_SCHEMA, openAuditStore, type AuditStore, type AuditStoreConfig } from '../audit/store';

/**
 * The audit store a check reads: `--audit-url` (a `postgres://` URL, or an SQLite file), else the
 * one the environment names (as the gateway writes it). An SQLite file that does not exist is an
 * error, not an empty store: "nobody used it" must come from a trail, not from its absence.
 */
export function auditSource(auditUrl: string | undefined, env: NodeJS.ProcessEnv = process.env): AuditStoreConfig {
  if (auditUrl === undefined) return auditStoreConfigFromEnv(env);
  if (/^postgres(ql)?:\/\//.test(auditUrl)) return { url: auditUrl, schema: env.MESHGATE_AUDIT_DB_SCHEMA || DEFAULT_AUDIT_SCHEMA };
  return { sqliteFile: path.resolve(auditUrl) };
}

/** Opens the audit store for reading; AUDIT_UNAVAILABLE when it is absent or unreachable. */
export async function openAuditTrail(config: AuditStoreConfig): Promise<AuditStore> {
  if (!config.url && config.sqliteFile && !fs.existsSync(config.sqliteFile)) {
    throw new MeshgateError(
      'AUDIT_UNAVAILABLE',
      `no audit trail at ${config.sqliteFile}: set MESHGATE_AUDIT_DATABASE_URL (or MESHGATE_DATA_DIR), or pass --audit-url, to read who used which field`,
    );
  }
  return openAuditStore(config);
}
