import { badUserInput } from './errors';

/*
 * Field arguments and cursors are untrusted input. The checks here decide what a value must look
 * like before it reaches SQL: on PostgreSQL a bad date, timestamp or integer fails the statement
 * (an INTERNAL_SERVER_ERROR), while SQLite would quietly compare it as text. Each `…Argument`
 * returns the value normalised or throws BAD_USER_INPUT naming the argument; null and undefined
 * (an argument not given) come back as undefined.
 */

/** Where an invalid value is reported when that is not the name the message uses (e.g. the whole `filter`). */
export interface ArgumentOptions {
  argumentName?: string;
}

const INTEGER_MIN = -2_147_483_648;
const INTEGER_MAX = 2_147_483_647;
const DAY_MS = 86_400_000;
// Years 0001 to 9999 in UTC: what both PostgreSQL and a four-digit ISO string can hold.
const FIRST_MS = Date.parse('0001-01-01T00:00:00Z');
const LAST_MS = Date.parse('9999-12-31T23:59:59.999Z');

const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;
// Seconds and their fraction are optional; the offset is not (a timestamp without one means nothing).
const ISO_TIMESTAMP = /^(\d{4}-\d{2}-\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,6})?)?(?:Z|[+-](\d{2}):(\d{2}))$/;

/** Whether a value fits a PostgreSQL `integer` column (SQLite's integers are wider). */
export function isSqlInteger(value: unknown): value is number {
  return Number.isInteger(value) && (value as number) >= INTEGER_MIN && (value as number) <= INTEGER_MAX;
}

/**
 * A GraphQL ID (or a number) as the integer key a row can have: decimal digits or a number, within
 * 0..2^31-1. Null for anything else ("abc", "1e3", NaN, 1e12): no row has that key.
 */
export function integerKey(value: unknown): number | null {
  const n = typeof value === 'number' ? value : typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : NaN;
  return isSqlInteger(n) && n >= 0 ? n : null;
}

/** A real calendar day as `YYYY-MM-DD` (no 2024-02-30, no year 0000, which PostgreSQL refuses). */
export function isIsoDate(value: unknown): value is string {
  if (typeof value !== 'string' || !ISO_DATE.test(value) || value.startsWith('0000')) return false;
  // Date.parse rolls 2024-02-30 over into March: a real day survives the round trip.
  const ms = Date.parse(`${value}T00:00:00Z`);
  return Number.isFinite(ms) && new Date(ms).toISOString().slice(0, 10) === value;
}

/** An ISO 8601 timestamp with `Z` or a real offset (±hh:mm up to 14 hours), of a real day and time in years 0001 to 9999 UTC. */
export function isIsoTimestamp(value: unknown): value is string {
  if (typeof value !== 'string') return false;
  const m = ISO_TIMESTAMP.exec(value);
  if (!m || !isIsoDate(m[1])) return false;
  const [hours, minutes, seconds] = [m[2], m[3], m[4] ?? '0'].map(Number);
  const offsetOk = m[5] === undefined || (Number(m[5]) <= 14 && Number(m[6]) <= 59);
  const ms = Date.parse(value);
  return hours <= 23 && minutes <= 59 && seconds <= 59 && offsetOk && ms >= FIRST_MS && ms <= LAST_MS;
}

/** The first millisecond of a UTC day (`YYYY-MM-DD`), as the ISO timestamp the tables hold. */
export function startOfDay(date: string): string {
  return new Date(Date.parse(`${date}T00:00:00Z`)).toISOString();
}

/** The last millisecond of a UTC day (`YYYY-MM-DD`), so that a day ending a period counts whole. */
export function endOfDay(date: string): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + DAY_MS - 1).toISOString();
}

function refuse(message: string, name: string, options: ArgumentOptions): never {
  throw badUserInput(message, options.argumentName ?? name);
}

/** A calendar day as `YYYY-MM-DD`, returned as given. */
export function dateArgument(value: string, name: string, options?: ArgumentOptions): string;
export function dateArgument(value: string | null | undefined, name: string, options?: ArgumentOptions): string | undefined;
export function dateArgument(value: string | null | undefined, name: string, options: ArgumentOptions = {}): string | undefined {
  if (value == null) return undefined;
  if (!isIsoDate(value)) refuse(`${name} must be a date as YYYY-MM-DD, got "${value}"`, name, options);
  return value;
}

/**
 * A point in time as the UTC ISO timestamp the tables hold. `YYYY-MM-DD` is a whole UTC day: its
 * first millisecond, or its last with `endOfDay` (a day that ends a period); else an ISO 8601
 * timestamp with offset.
 */
export function instantArgument(
  value: string | null | undefined,
  name: string,
  options: ArgumentOptions & { endOfDay?: boolean } = {},
): string | undefined {
  if (value == null) return undefined;
  if (isIsoDate(value)) return options.endOfDay ? endOfDay(value) : startOfDay(value);
  if (!isIsoTimestamp(value)) refuse(`${name} must be a date (YYYY-MM-DD) or an ISO 8601 timestamp with offset, got "${value}"`, name, options);
  return new Date(Date.parse(value)).toISOString();
}

/** A period of `instantArgument`s, both ends inclusive (a closing day counts whole); `from` must not be after `to`. */
export function periodArgument(
  from: string | null | undefined,
  to: string | null | undefined,
  names: readonly [string, string],
  options: ArgumentOptions = {},
): { from?: string; to?: string } {
  const period = { from: instantArgument(from, names[0], options), to: instantArgument(to, names[1], { ...options, endOfDay: true }) };
  if (period.from && period.to && period.from > period.to) refuse(`${names[0]} must not be after ${names[1]}, got ${from} and ${to}`, names[0], options);
  return period;
}

/** An integer id as the number the database stores (decimal digits within 0..2^31-1). */
export function integerIdArgument(value: string | null | undefined, name: string, options: ArgumentOptions = {}): number | undefined {
  if (value == null) return undefined;
  const id = integerKey(value);
  if (id === null) refuse(`${name} must be an integer id, got "${value}"`, name, options);
  return id;
}
