import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { chainedEventHash, canonicalEventJson, canonicalJson, checkpointMac, eventHash, GENESIS_HASH, normaliseEvent } from '../../gateway/audit/hash';
import type { AuditEvent } from '../../gateway/audit/types';
import { auditEvent } from '../support/audit-events';

describe('canonical JSON', () => {
  it('sorts keys at every depth, keeps array order, leaves out undefined members, no whitespace', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: 'x' }, u: undefined })).toBe('{"a":{"c":"x","d":[3,{"y":2,"z":1}]},"b":1}');
    expect(canonicalJson([undefined, null, true, 'é\n'])).toBe('[null,null,true,"é\\n"]');
    expect(canonicalJson({ 'b': 1, 'B': 2, 'a': 3 })).toBe('{"B":2,"a":3,"b":1}');
  });

  it('refuses values that would serialise ambiguously', () => {
    expect(() => canonicalJson({ n: NaN })).toThrow(/non-finite/);
    expect(() => canonicalJson({ n: Infinity })).toThrow(/non-finite/);
    expect(() => canonicalJson({ f: () => 1 })).toThrow(/cannot serialise/);
  });
});

describe('event hash', () => {
  const event = normaliseEvent(auditEvent({ time: '2025-03-01T10:00:00Z' }));
  const base = { chain: 'replica-a', seq: 1, prevHash: GENESIS_HASH, event };

  it('is a stable sha256 independent of key order', () => {
    const reordered = Object.fromEntries(Object.entries(event).reverse()) as typeof event;
    expect(eventHash(base)).toMatch(/^[0-9a-f]{64}$/);
    expect(eventHash({ ...base, event: reordered })).toBe(eventHash(base));
    expect(eventHash(base)).toBe(eventHash(JSON.parse(JSON.stringify(base))));
  });

  it('changes with the content, the position and the predecessor', () => {
    const h = eventHash(base);
    expect(eventHash({ ...base, seq: 2 })).not.toBe(h);
    expect(eventHash({ ...base, chain: 'replica-b' })).not.toBe(h);
    expect(eventHash({ ...base, prevHash: 'a'.repeat(64) })).not.toBe(h);
    expect(eventHash({ ...base, event: { ...event, subject: 'mallory' } })).not.toBe(h);
    expect(eventHash({ ...base, event: { ...event, subject: null } })).not.toBe(h);
    expect(eventHash({ ...base, event: { ...event, fields: [{ ...event.fields[1], decision: 'denied' }, event.fields[0]] } })).not.toBe(h);
    expect(eventHash({ ...base, event: { ...event, latencyMs: 12.6 } })).not.toBe(h);
  });

  it('normalises events to what the store reads back', () => {
    const raw = auditEvent({ time: '2025-03-01T10:00:00+01:00', subject: undefined as any, clientName: undefined as any });
    (raw as any).extra = 'not part of the contract';
    const n = normaliseEvent(raw);
    expect(n.time).toBe('2025-03-01T09:00:00.000Z');
    expect(n.subject).toBeNull();
    expect(n.clientName).toBeNull();
    expect(n).not.toHaveProperty('extra');
    expect(n.fields[0]).not.toHaveProperty('entityKeys');
    expect(normaliseEvent(n)).toEqual(n);
    expect(() => normaliseEvent(auditEvent({ time: 'yesterday' }))).toThrow(/invalid time/);
  });

  it('refuses events whose fields or outcome could not be hashed as written', () => {
    const field = auditEvent().fields[0];
    expect(() => normaliseEvent(auditEvent({ fields: [{ ...field, values: NaN }] }))).toThrow(/invalid values count/);
    expect(() => normaliseEvent(auditEvent({ fields: [{ ...field, coordinate: { toString: () => 'Query.x' } as any }] }))).toThrow(/must be strings/);
    expect(() => normaliseEvent(auditEvent({ fields: [{ ...field, classification: {} as any }] }))).toThrow(/must be strings/);
    expect(() => normaliseEvent(auditEvent({ fields: [{ ...field, classification: { level: 'INTERNAL', category: ['CONTACT'] as any } }] }))).toThrow(/must be strings/);
    expect(() => normaliseEvent(auditEvent({ outcome: undefined as any }))).toThrow(/invalid outcome/);
  });

  // The append builds the payload natively (canonicalEventJson, chainedEventHash); verify and the
  // chains already stored hash canonicalJson of the whole payload. The two must agree on every event.
  const varied: AuditEvent[] = [
    auditEvent(),
    auditEvent({ subject: null, clientName: null, clientVersion: null, purpose: null, operationName: null, operationSignature: null, operationHash: null, roles: [], subgraphs: [], errorCodes: [], fields: [] }),
    auditEvent({ subject: 'zoë "quoted" \\ \u2028 \ud83d', roles: ['b', 'a', 'é'], outcome: 'partial', errorCodes: ['FORBIDDEN', 'MASKED'], latencyMs: 0.000123, operationName: '1', time: '2025-03-01T10:00:00+01:00' }),
    auditEvent({
      latencyMs: -0,
      fields: [
        { coordinate: 'Customer.email', classification: { level: 'CONFIDENTIAL', category: 'CONTACT' }, decision: 'masked', values: 3, entityKeys: ['C1', '{"id":"2"}', ''] },
        { coordinate: 'Order.total', classification: { level: 'INTERNAL', category: undefined }, decision: 'denied', values: 0, entityKeys: [] },
        { coordinate: 'Product.name', classification: { level: 'PUBLIC' }, decision: 'allowed', values: 1e21 },
      ],
    }),
  ];

  it('the native canonical JSON of a normalised event is canonicalJson of it, and so is its hash', () => {
    for (const [i, raw] of varied.entries()) {
      const n = normaliseEvent(raw);
      expect(canonicalEventJson(n), `event ${i}`).toBe(canonicalJson(n));
      const reference = createHash('sha256').update(canonicalJson({ v: 1, chain: 'replica-a', seq: 42, prevHash: GENESIS_HASH, event: n })).digest('hex');
      expect(chainedEventHash('replica-a', 42, GENESIS_HASH, canonicalEventJson(n))).toBe(reference);
      expect(eventHash({ chain: 'replica-a', seq: 42, prevHash: GENESIS_HASH, event: n })).toBe(reference);
    }
  });
});

describe('checkpoint signature', () => {
  const cp = { chain: 'a', seq: 10, hash: 'b'.repeat(64), prunedBefore: '2025-01-01T00:00:00.000Z', createdAt: '2025-02-01T00:00:00.000Z' };
  it('depends on the key and on every member', () => {
    const mac = checkpointMac(cp, 'k'.repeat(32));
    expect(mac).toMatch(/^[0-9a-f]{64}$/);
    expect(checkpointMac(cp, 'x'.repeat(32))).not.toBe(mac);
    expect(checkpointMac({ ...cp, seq: 11 }, 'k'.repeat(32))).not.toBe(mac);
    expect(checkpointMac({ ...cp, hash: 'c'.repeat(64) }, 'k'.repeat(32))).not.toBe(mac);
  });
});
