import { randomUUID } from 'node:crypto';
import type { AuditEvent } from '../../gateway/audit/types';

let counter = 0;

/** A plausible audit event: alice via the web client reads a customer's email; override anything. */
export function auditEvent(overrides: Partial<AuditEvent> = {}): AuditEvent {
  counter += 1;
  return {
    id: randomUUID(),
    time: new Date().toISOString(),
    requestId: `req-${counter}`,
    subject: 'alice',
    roles: ['support'],
    clientName: 'web',
    clientVersion: '1.2.0',
    purpose: 'customer-support',
    operationName: 'Customer',
    operationSignature: 'query Customer($id:ID!){customer(id:$id){email name}}',
    operationHash: 'f'.repeat(64),
    fields: [
      { coordinate: 'Query.customer', classification: { level: 'INTERNAL' }, decision: 'allowed', values: 1 },
      { coordinate: 'Customer.email', classification: { level: 'CONFIDENTIAL', category: 'CONTACT' }, decision: 'allowed', values: 1, entityKeys: ['C000001'] },
    ],
    subgraphs: ['customer-experience'],
    outcome: 'ok',
    errorCodes: [],
    latencyMs: 12.5,
    ...overrides,
  };
}

/** `n` events one second apart, ending `endMsAgo` before now (oldest first). */
export function auditEvents(n: number, overrides: (i: number) => Partial<AuditEvent> = () => ({}), endMsAgo = 0): AuditEvent[] {
  const end = Date.now() - endMsAgo;
  return Array.from({ length: n }, (_, i) => auditEvent({ time: new Date(end - (n - 1 - i) * 1000).toISOString(), ...overrides(i) }));
}
