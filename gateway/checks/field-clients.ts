import { fieldUsageByDay } from '../audit/queries';
import type { AuditStore } from '../audit/store';

/** One client's use of some fields over a period. */
export interface ClientUse {
  /** The client name as recorded (null: the caller named none). */
  client: string | null;
  /** The fields of those asked about that it used. */
  coordinates: string[];
  /** Operations that used them, counted once per field of these they used. */
  events: number;
  /** Last day (UTC, `YYYY-MM-DD`) it used one. */
  lastUsed: string;
}

/** Which clients used any of `coordinates` since a date, most active first. */
export async function clientsOfFields(store: AuditStore, coordinates: readonly string[], since: Date): Promise<ClientUse[]> {
  const byClient = new Map<string | null, ClientUse>();
  for (const coordinate of new Set(coordinates)) {
    for (const day of await fieldUsageByDay(store, { coordinate, since })) {
      const use = byClient.get(day.client) ?? { client: day.client, coordinates: [], events: 0, lastUsed: day.day };
      if (!use.coordinates.includes(coordinate)) use.coordinates.push(coordinate);
      use.events += day.events;
      if (day.day > use.lastUsed) use.lastUsed = day.day;
      byClient.set(day.client, use);
    }
  }
  return [...byClient.values()].sort((a, b) => b.events - a.events || String(a.client).localeCompare(String(b.client)));
}
