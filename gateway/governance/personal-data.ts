/**
 * Which field names say "personal data" — a field so named, classified CONFIDENTIAL or above,
 * must name its personal-data category. Matching is on the field name only, case-insensitive,
 * split into camelCase / snake_case words:
 *
 * - the LAST word is one of: email, phone, fax, mobile, address, street
 *   (email, phone, fax, homePhone, contactEmail, address, deliveryAddress, emailAddress, street …)
 * - the name STARTS with `birth` (birthDate, birthday, birthPlace …)
 * - the whole name is one of: firstName, lastName, middleName, givenName, familyName, fullName,
 *   contactName, dateOfBirth, phoneNumber, faxNumber, mobileNumber
 *
 * Deliberately not matched: a bare `name` (Product.name, Carrier.name), titles (contactTitle), city,
 * region, postalCode and country on their own (not personal without the street). These may still
 * be personal data; the check only catches the names that certainly are.
 */
export const PERSONAL_DATA_LAST_WORDS = ['email', 'phone', 'fax', 'mobile', 'address', 'street'] as const;
export const PERSONAL_DATA_PREFIXES = ['birth'] as const;
export const PERSONAL_DATA_NAMES = [
  'firstName',
  'lastName',
  'middleName',
  'givenName',
  'familyName',
  'fullName',
  'contactName',
  'dateOfBirth',
  'phoneNumber',
  'faxNumber',
  'mobileNumber',
] as const;

const names = new Set(PERSONAL_DATA_NAMES.map((n) => n.toLowerCase()));

function words(fieldName: string): string[] {
  return fieldName
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .split(/[\s_]+/)
    .filter(Boolean)
    .map((w) => w.toLowerCase());
}

/** Whether a field's name says it holds personal data (see the list above). */
export function namesPersonalData(fieldName: string): boolean {
  const lower = fieldName.toLowerCase();
  if (names.has(lower.replace(/_/g, ''))) return true;
  if (PERSONAL_DATA_PREFIXES.some((p) => lower.startsWith(p))) return true;
  const last = words(fieldName).at(-1);
  return last !== undefined && (PERSONAL_DATA_LAST_WORDS as readonly string[]).includes(last);
}
