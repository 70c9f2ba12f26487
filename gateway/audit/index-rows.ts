import { canonicalJson } from './hash';
import type { AuditEvent } from './types';

/**
 * The query-index rows (`field_usage`, `entity_keys`) derived from one event's hashed `fields`.
 * `append` writes exactly these; `verify` recomputes them from the verified event and compares
 * with what the tables hold, so an index row edited, deleted or inserted behind the chain's back
 * is caught (the auditor queries read these tables, not the hashed JSON).
 */

export const INDEX_TABLES = ['field_usage', 'entity_keys'] as const;
export type IndexTable = (typeof INDEX_TABLES)[number];

export interface IndexRows {
  field_usage: Record<string, unknown>[];
  entity_keys: Record<string, unknown>[];
}

/** The index rows `append` writes for an event (normalised: see `normaliseEvent`). */
export function indexRowsOf(event: AuditEvent): IndexRows {
  const rows: IndexRows = { field_usage: [], entity_keys: [] };
  for (const f of event.fields) {
    rows.field_usage.push({
      event_id: event.id,
      time: event.time,
      coordinate: f.coordinate,
      level: f.classification.level,
      category: f.classification.category ?? null,
      decision: f.decision,
      value_count: f.values,
      client_name: event.clientName,
    });
    for (const key of new Set(f.entityKeys ?? [])) {
      rows.entity_keys.push({ entity_key: key, coordinate: f.coordinate, decision: f.decision, event_id: event.id, time: event.time, subject: event.subject });
    }
  }
  return rows;
}

const COLUMNS: Record<IndexTable, string[]> = {
  field_usage: ['event_id', 'time', 'coordinate', 'level', 'category', 'decision', 'value_count', 'client_name'],
  entity_keys: ['entity_key', 'coordinate', 'decision', 'event_id', 'time', 'subject'],
};

/** One row as a comparable string: both engines' spellings of a time, a number or a null agree. */
function rowKey(table: IndexTable, row: Record<string, unknown>): string {
  return canonicalJson(
    COLUMNS[table].map((column) => {
      const v = row[column];
      if (v === null || v === undefined) return null;
      if (column === 'time') return v instanceof Date ? v.toISOString() : new Date(String(v)).toISOString();
      if (column === 'value_count') return Number(v);
      return String(v);
    }),
  );
}

export type IndexTampering = 'index-modified' | 'index-deleted' | 'index-inserted';

export interface IndexMismatch {
  table: IndexTable;
  kind: IndexTampering;
  /** How many expected rows are absent, and how many stored rows are unexplained. */
  missing: number;
  extra: number;
  /** The coordinate of the first disagreeing row, to point the auditor at it. */
  coordinate: string | null;
}

/**
 * Compares an event's expected index rows with the stored ones, as multisets, table by table:
 * only absent rows → deleted, only unexplained rows → inserted, both → modified. Null when equal.
 */
export function compareIndexRows(expected: IndexRows, stored: IndexRows): IndexMismatch | null {
  for (const table of INDEX_TABLES) {
    const counts = new Map<string, number>();
    for (const row of expected[table]) {
      const k = rowKey(table, row);
      counts.set(k, (counts.get(k) ?? 0) + 1);
    }
    const extraRows: Record<string, unknown>[] = [];
    for (const row of stored[table]) {
      const k = rowKey(table, row);
      const n = counts.get(k) ?? 0;
      if (n > 0) counts.set(k, n - 1);
      else extraRows.push(row);
    }
    const missingKeys = [...counts].filter(([, n]) => n > 0);
    const missing = missingKeys.reduce((sum, [, n]) => sum + n, 0);
    if (missing === 0 && extraRows.length === 0) continue;
    const kind: IndexTampering = missing && extraRows.length ? 'index-modified' : missing ? 'index-deleted' : 'index-inserted';
    const first = extraRows[0] ?? expected[table].find((row) => missingKeys.some(([k]) => k === rowKey(table, row)));
    return { table, kind, missing, extra: extraRows.length, coordinate: first?.coordinate == null ? null : String(first.coordinate) };
  }
  return null;
}

/** The reason verify reports for a mismatch. */
export function describeIndexMismatch(m: IndexMismatch): string {
  const where = m.coordinate ? ` (${m.coordinate})` : '';
  if (m.kind === 'index-deleted') return `${m.missing} ${m.table} row(s)${where} derived from this event are missing: index rows deleted`;
  if (m.kind === 'index-inserted') return `${m.extra} ${m.table} row(s)${where} point at this event but are not derived from its content: index rows inserted`;
  return `${m.table} rows${where} disagree with this event's content: index rows modified`;
}
