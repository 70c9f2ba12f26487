import { randomFillSync } from 'node:crypto';

// Random bits drawn 1,024 ids at a time: one call into OpenSSL per id cost more than the rest of the id.
const POOL_IDS = 1024;
const pool = Buffer.alloc(POOL_IDS * 10);
let next = POOL_IDS;
const bytes = Buffer.alloc(16);

/**
 * An audit event's id: a UUID version 7 (RFC 9562), the millisecond time first, then random bits.
 * Ids in time order go to the right edge of the `events` key and of the `event_id` indexes, where
 * random (version 4) ids landed on a random page of each, every insert.
 */
export function auditEventId(time = Date.now()): string {
  if (next === POOL_IDS) {
    randomFillSync(pool);
    next = 0;
  }
  pool.copy(bytes, 6, next * 10, next * 10 + 10);
  next += 1;
  bytes.writeUIntBE(time, 0, 6);
  bytes[6] = (bytes[6] & 0x0f) | 0x70;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
