import { describe, expect, it } from 'vitest';
import { auditEventId } from '../../gateway/audit/event-id';

describe('audit event ids', () => {
  it('are UUID version 7: the millisecond time first, the variant bits set, random after', () => {
    const time = Date.UTC(2026, 11, 5, 23, 59, 59, 123);
    const id = auditEventId(time);
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(parseInt(id.replace(/-/g, '').slice(0, 12), 16)).toBe(time);
  });

  it('sort in time order across milliseconds, and never repeat (several pools of random bits)', () => {
    const ids = [auditEventId(1_000), auditEventId(1_001), auditEventId(2_000_000_000_000)];
    expect([...ids].sort()).toEqual(ids);
    const many = Array.from({ length: 5_000 }, () => auditEventId(42));
    expect(new Set(many).size).toBe(5_000);
  });
});
