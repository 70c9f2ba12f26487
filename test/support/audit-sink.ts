import type { AuditAdmission, AuditEvent, AuditSink } from '../../gateway/audit/types';
import type { Level } from '../../shared/classification';

/** An in-memory AuditSink for tests: records every event; `closed` levels are not accepted (fail closed). */
export class MemoryAuditSink implements AuditSink {
  readonly events: AuditEvent[] = [];
  readonly closed = new Set<Level>();

  append(event: AuditEvent): boolean {
    this.events.push(structuredClone(event));
    return true;
  }

  accepts(level: Level): boolean {
    return !this.closed.has(level);
  }

  admit(levels: readonly Level[]): AuditAdmission {
    return { refused: [...new Set(levels)].filter((level) => !this.accepts(level)), reserved: false };
  }

  async flush(): Promise<void> {}

  async close(): Promise<void> {}
}
