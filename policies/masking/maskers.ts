/**
 * Maskers turn one string into its masked rendition. Every output is recognisably masked (stars,
 * initials with dots, or `[redacted]`) so that it is never mistaken for real data.
 */
export const REDACTED = '[redacted]';

/** `jane.doe@example.com` → `j***@example.com`: the domain stays, for analysis by organisation. */
export function email(value: string): string {
  const match = /^([^@\s]+)@([^@\s]+)$/.exec(value.trim());
  if (!match) return REDACTED;
  return `${Array.from(match[1])[0]}***@${match[2]}`;
}

/** `030-0074321` → `***-*****21`: every digit but the last two becomes `*`, separators stay. */
export function phone(value: string): string {
  const digits = value.replace(/\D/g, '').length;
  if (digits === 0) return REDACTED;
  let seen = 0;
  return value.replace(/\d/g, (d) => (++seen > digits - 2 && digits > 2 ? d : '*'));
}

/** `Maria Anders` → `M. A.` */
export function initials(value: string): string {
  const words = value.trim().split(/\s+/).filter(Boolean);
  if (words.length === 0) return REDACTED;
  return words.map((word) => `${Array.from(word)[0].toUpperCase()}.`).join(' ');
}

/** `1968-12-08` (or an ISO timestamp) → `1968-**-**`: the year stays, for age bands; anything else → `****-**-**`. */
export function date(value: string): string {
  const match = /^(\d{4})-\d{2}-\d{2}/.exec(value.trim());
  return match ? `${match[1]}-**-**` : '****-**-**';
}

/** Free text, addresses and anything without a better masker. */
export function redact(): string {
  return REDACTED;
}

export const MASKERS = { email, phone, initials, date, redact } as const;
export type MaskerName = keyof typeof MASKERS;

export function isMaskerName(value: unknown): value is MaskerName {
  return typeof value === 'string' && Object.hasOwn(MASKERS, value);
}
