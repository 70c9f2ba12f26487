import type { Knex } from 'knex';
import { isLevel, type Level } from '../../shared/classification';
import { MeshgateError } from '../../shared/errors';
import { rowToEvent, type AuditStore, type StoredAuditEvent } from './store';

export const DEFAULT_PAGE_SIZE = 100;
export const MAX_PAGE_SIZE = 1000;

export type Decision = 'allowed' | 'masked' | 'denied';
const DECISIONS: readonly string[] = ['allowed', 'masked', 'denied'];

export interface EventFilter {
  subject?: string;
  client?: string;
  /** A field coordinate `Type.field` the event used. */
  field?: string;
  /** The event used a field of this classification level. */
  level?: Level;
  /** The event has a field with this decision. field, level and decision apply to one same field. */
  decision?: Decision;
  /** Inclusive. */
  since?: Date;
  /** Exclusive. */
  until?: Date;
  /** Page size, 1..MAX_PAGE_SIZE (default 100). */
  limit?: number;
  /** `nextCursor` of the previous page. */
  cursor?: string;
}

export interface EventPage {
  /** Newest first. */
  events: StoredAuditEvent[];
  /** Pass as `cursor` for the next (older) page; null on the last page. */
  nextCursor: string | null;
}

const iso = (d: Date, name: string) => {
  if (Number.isNaN(d.getTime())) throw new MeshgateError('BAD_USER_INPUT', `${name}: invalid date`);
  return d.toISOString();
};

function timeRange(q: Knex.QueryBuilder, column: string, since?: Date, until?: Date): void {
  if (since) q.andWhere(column, '>=', iso(since, 'since'));
  if (until) q.andWhere(column, '<', iso(until, 'until'));
}

function encodeCursor(time: string, id: string): string {
  return Buffer.from(JSON.stringify([time, id])).toString('base64url');
}

function decodeCursor(cursor: string): [string, string] {
  try {
    const v = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(v) && v.length === 2 && typeof v[0] === 'string' && typeof v[1] === 'string' && !Number.isNaN(Date.parse(v[0]))) return [v[0], v[1]];
  } catch {
    // fall through
  }
  throw new MeshgateError('BAD_USER_INPUT', 'malformed cursor');
}

/** Events matching every given filter, newest first, one page at a time. */
export async function queryEvents(store: AuditStore, filter: EventFilter = {}): Promise<EventPage> {
  const limit = filter.limit ?? DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE_SIZE) throw new MeshgateError('BAD_USER_INPUT', `page size must be 1..${MAX_PAGE_SIZE}, got ${filter.limit}`);
  if (filter.level !== undefined && !isLevel(filter.level)) throw new MeshgateError('BAD_USER_INPUT', `unknown classification level "${filter.level}"`);
  if (filter.decision !== undefined && !DECISIONS.includes(filter.decision)) throw new MeshgateError('BAD_USER_INPUT', `decision must be one of ${DECISIONS.join(', ')}, got "${filter.decision}"`);
  const knex = store.knex;
  const q = knex('events as e').select('e.*');
  if (filter.subject !== undefined) q.where('e.subject', filter.subject);
  if (filter.client !== undefined) q.where('e.client_name', filter.client);
  timeRange(q, 'e.time', filter.since, filter.until);
  if (filter.field !== undefined || filter.level !== undefined || filter.decision !== undefined) {
    q.whereExists(function () {
      this.select(knex.raw('1')).from('field_usage as f').whereRaw('f.event_id = e.id');
      if (filter.field !== undefined) this.andWhere('f.coordinate', filter.field);
      if (filter.level !== undefined) this.andWhere('f.level', filter.level);
      if (filter.decision !== undefined) this.andWhere('f.decision', filter.decision);
    });
  }
  if (filter.cursor) {
    const [time, id] = decodeCursor(filter.cursor);
    q.andWhere((w) => w.where('e.time', '<', time).orWhere((w2) => w2.where('e.time', '=', time).andWhere('e.id', '<', id)));
  }
  const rows = await q.orderBy([{ column: 'e.time', order: 'desc' }, { column: 'e.id', order: 'desc' }]).limit(limit + 1);
  const events = rows.slice(0, limit).map(rowToEvent);
  const last = events[events.length - 1];
  return { events, nextCursor: rows.length > limit && last ? encodeCursor(last.time, last.id) : null };
}

/** Every event in a time range, oldest first, read page by page (for export). */
export async function* exportEvents(store: AuditStore, range: { since?: Date; until?: Date } = {}, pageSize = 1000): AsyncGenerator<StoredAuditEvent> {
  let after: [string, string] | null = null;
  for (;;) {
    const q = store.knex('events').select('*');
    timeRange(q, 'time', range.since, range.until);
    if (after) {
      const [time, id] = after;
      q.andWhere((w) => w.where('time', '>', time).orWhere((w2) => w2.where('time', '=', time).andWhere('id', '>', id)));
    }
    const rows = await q.orderBy([{ column: 'time' }, { column: 'id' }]).limit(pageSize);
    for (const row of rows) yield rowToEvent(row);
    if (rows.length < pageSize) return;
    const last = rowToEvent(rows[rows.length - 1]);
    after = [last.time, last.id];
  }
}

export interface FieldUsageDay {
  /** `YYYY-MM-DD` (UTC). */
  day: string;
  coordinate: string;
  client: string | null;
  /** Operations that used the field that day. */
  events: number;
  /** Values of the field returned that day. */
  values: number;
  allowed: number;
  masked: number;
  denied: number;
}

/** Field usage per coordinate per client per day (UTC). */
export async function fieldUsageByDay(store: AuditStore, filter: { since?: Date; until?: Date; coordinate?: string; client?: string } = {}): Promise<FieldUsageDay[]> {
  const knex = store.knex;
  const day = store.db.dialect === 'postgres' ? knex.raw(`to_char(time, 'YYYY-MM-DD')`) : knex.raw('substr(time, 1, 10)');
  const q = knex('field_usage')
    .select({ day, coordinate: 'coordinate', client: 'client_name' })
    .count({ events: '*' })
    .sum({ values: 'value_count' })
    .select(knex.raw(`sum(case when decision = 'allowed' then 1 else 0 end) as allowed`))
    .select(knex.raw(`sum(case when decision = 'masked' then 1 else 0 end) as masked`))
    .select(knex.raw(`sum(case when decision = 'denied' then 1 else 0 end) as denied`));
  if (filter.coordinate) q.where('coordinate', filter.coordinate);
  if (filter.client) q.where('client_name', filter.client);
  timeRange(q, 'time', filter.since, filter.until);
  const rows: any[] = await q.groupBy(day as any).groupBy(['coordinate', 'client_name']).orderBy([{ column: 'day', order: 'desc' }, { column: 'coordinate' }, { column: 'client' }]);
  return rows.map((r) => ({
    day: r.day,
    coordinate: r.coordinate,
    client: r.client ?? null,
    events: Number(r.events),
    values: Number(r.values ?? 0),
    allowed: Number(r.allowed),
    masked: Number(r.masked),
    denied: Number(r.denied),
  }));
}

/** One client's use of some fields over a period. */
export interface ClientUse {
  /** The client name as recorded (null: the caller named none). */
  client: string | null;
  /** The fields of those asked about that it used. */
  coordinates: string[];
  /** Operations that used them, counted once per field of these they used. */
  events: number;
  /** Values of these fields returned to it. */
  values: number;
  /** Last day (UTC, `YYYY-MM-DD`) it used one. */
  lastUsed: string;
}

/** Which clients used any of `coordinates` since a date, most active first. */
export async function clientsOfFields(store: AuditStore, coordinates: readonly string[], since: Date): Promise<ClientUse[]> {
  const byClient = new Map<string | null, ClientUse>();
  for (const coordinate of new Set(coordinates)) {
    for (const day of await fieldUsageByDay(store, { coordinate, since })) {
      const use = byClient.get(day.client) ?? { client: day.client, coordinates: [], events: 0, values: 0, lastUsed: day.day };
      if (!use.coordinates.includes(coordinate)) use.coordinates.push(coordinate);
      use.events += day.events;
      use.values += day.values;
      if (day.day > use.lastUsed) use.lastUsed = day.day;
      byClient.set(day.client, use);
    }
  }
  return [...byClient.values()].sort((a, b) => b.events - a.events || String(a.client).localeCompare(String(b.client)));
}

/** One field's use over a period, all clients together. */
export interface FieldTotals {
  events: number;
  values: number;
  /** Clients that named themselves. */
  clients: Set<string>;
  lastUsed: string;
}

/** Use of every field since a date, by coordinate (fields nobody used are absent). */
export async function fieldTotals(store: AuditStore, since: Date): Promise<Map<string, FieldTotals>> {
  const byCoordinate = new Map<string, FieldTotals>();
  for (const d of await fieldUsageByDay(store, { since })) {
    const u = byCoordinate.get(d.coordinate) ?? { events: 0, values: 0, clients: new Set<string>(), lastUsed: d.day };
    u.events += d.events;
    u.values += d.values;
    if (d.client) u.clients.add(d.client);
    if (d.day > u.lastUsed) u.lastUsed = d.day;
    byCoordinate.set(d.coordinate, u);
  }
  return byCoordinate;
}

export interface SubjectAccessRecord {
  eventId: string;
  time: string;
  /** Who saw the data. */
  subject: string | null;
  client: string | null;
  purpose: string | null;
  /** The personal-data fields of the entity that left the gateway. */
  coordinates: string[];
  /**
   * The same fields with their decision: `masked` means a mask left, not the value; `allowed` (or
   * `denied` in dry-run mode, which does not enforce) means the value itself did.
   */
  fields: { coordinate: string; decision: Decision }[];
}

/**
 * "Who has seen customer X's personal data": every event whose response carried personal-data
 * values of entity `entityKey`, newest first, since a date (default: 90 days ago).
 */
export async function subjectAccess(store: AuditStore, entityKey: string, options: { since?: Date; until?: Date; limit?: number } = {}): Promise<SubjectAccessRecord[]> {
  const since = options.since ?? new Date(Date.now() - 90 * 86_400_000);
  const limit = options.limit ?? 10_000;
  const q = store
    .knex('entity_keys as k')
    .join('events as e', 'e.id', 'k.event_id')
    .where('k.entity_key', entityKey)
    .select('k.event_id', 'k.coordinate', 'k.decision', 'e.time', 'e.subject', 'e.client_name', 'e.purpose');
  timeRange(q, 'k.time', since, options.until);
  const rows: any[] = await q.orderBy([{ column: 'e.time', order: 'desc' }, { column: 'k.event_id', order: 'desc' }, { column: 'k.coordinate' }]);
  const byEvent = new Map<string, SubjectAccessRecord>();
  for (const r of rows) {
    let rec = byEvent.get(r.event_id);
    if (!rec) {
      if (byEvent.size >= limit) break;
      rec = {
        eventId: r.event_id,
        time: r.time instanceof Date ? r.time.toISOString() : new Date(r.time).toISOString(),
        subject: r.subject ?? null,
        client: r.client_name ?? null,
        purpose: r.purpose ?? null,
        coordinates: [],
        fields: [],
      };
      byEvent.set(r.event_id, rec);
    }
    if (!rec.coordinates.includes(r.coordinate)) {
      rec.coordinates.push(r.coordinate);
      rec.fields.push({ coordinate: r.coordinate, decision: r.decision });
    }
  }
  return [...byEvent.values()];
}

/** Of `allCoordinates`, those no operation used (selected, whatever the decision) since a date (default 30 days ago). */
export async function unusedFields(store: AuditStore, allCoordinates: Iterable<string>, options: { since?: Date } = {}): Promise<string[]> {
  const since = options.since ?? new Date(Date.now() - 30 * 86_400_000);
  const q = store.knex('field_usage').distinct('coordinate');
  timeRange(q, 'time', since);
  const used = new Set((await q).map((r: any) => r.coordinate as string));
  return [...new Set(allCoordinates)].filter((c) => !used.has(c)).sort();
}
