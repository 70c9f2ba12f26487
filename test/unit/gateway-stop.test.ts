import { describe, expect, it } from 'vitest';
import { stopGateway } from '../../cli/commands/gateway';
import { createAuditWriter } from '../../gateway/audit/writer';
import { auditEvent } from '../support/audit-events';
import { captureLog } from '../support/log-capture';

// `meshgate gateway` on SIGTERM: an audit queue it could not write must end in exit 1 and a log
// line saying so, never an unhandled rejection or a clean exit 0 that hides lost events.

/** An audit store that never answers: a database gone while the gateway stops. */
const hangingStore = { append: () => new Promise<void>(() => undefined), close: async () => undefined };

describe('stopGateway', () => {
  it('exits 1 and logs AUDIT_UNAVAILABLE when the audit writer gives up with events unwritten', async () => {
    const log = captureLog();
    const writer = createAuditWriter(hangingStore, { closeTimeoutMs: 50, logger: log.logger });
    expect(writer.append(auditEvent())).toBe(true);
    let stopped = false;
    const code = await stopGateway({ stop: async () => void (stopped = true) }, () => writer.close(), log.logger);
    expect({ stopped, code }).toEqual({ stopped: true, code: 1 });
    expect(log.entries()).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ msg: 'audit writer closed with events unwritten', unwritten: 1 }),
        expect.objectContaining({ level: 50, code: 'AUDIT_UNAVAILABLE', msg: 'shutdown: writing the queued audit events failed; exiting 1' }),
      ]),
    );
  });

  it('still writes the audit queue when stopping the HTTP side failed, and exits 1', async () => {
    const log = captureLog();
    let closed = false;
    const code = await stopGateway({ stop: () => Promise.reject(new Error('socket trouble')) }, async () => void (closed = true), log.logger);
    expect({ closed, code }).toEqual({ closed: true, code: 1 });
    expect(log.entries()).toMatchObject([{ level: 50, code: 'INTERNAL_SERVER_ERROR', msg: 'shutdown: stopping the gateway failed; exiting 1' }]);
  });

  it('exits 0 when everything stopped and every event was written', async () => {
    const log = captureLog();
    const written: unknown[] = [];
    const writer = createAuditWriter({ append: async (events) => void written.push(...events), close: async () => undefined }, { logger: log.logger });
    writer.append(auditEvent());
    expect(await stopGateway({ stop: async () => undefined }, () => writer.close(), log.logger)).toBe(0);
    expect(written).toHaveLength(1);
    expect(log.entries().filter((e) => e.level >= 50)).toEqual([]);
  });
});
