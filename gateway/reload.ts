import type { SupergraphSdlHook } from '@apollo/gateway';
import { MeshgateError } from '../shared/errors';
import type { Logger } from '../shared/logger';
import type { MeshgateConfig } from './config';
import { configSupergraphSource, fileSupergraphSource, type SupergraphSource } from './supergraph-source';

/** How often a gateway looks for a changed supergraph when the config does not say. */
export const DEFAULT_RELOAD_INTERVAL_MS = 2_000;

const DURATION = /^(\d+)(ms|s|m)$/;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000 };

/**
 * The polling interval from `meshgate.reload` (`{ interval: 2s }`, `{ interval: off }`, `off`),
 * in ms (0 = no polling); `fallbackMs` when absent. SIGHUP reloads whatever this says.
 */
export function reloadIntervalMs(settings: Record<string, unknown>, fallbackMs: number): number {
  const reload = settings.reload;
  if (reload === undefined || reload === null) return fallbackMs;
  const interval = typeof reload === 'object' && !Array.isArray(reload) ? (reload as { interval?: unknown }).interval : reload;
  if (interval === undefined) return fallbackMs;
  if (interval === false || interval === 'off') return 0;
  const match = typeof interval === 'string' ? DURATION.exec(interval.trim()) : null;
  if (!match || Number(match[1]) === 0) {
    throw new MeshgateError('CONFIG_INVALID', `meshgate.reload.interval must be a duration like 500ms, 2s or 1m, or off; got ${JSON.stringify(interval)}`);
  }
  return Number(match[1]) * UNIT_MS[match[2]];
}

export type ReloadOutcome = { status: 'unchanged' } | { status: 'updated' } | { status: 'failed'; error: unknown };

/**
 * Swaps a candidate supergraph in through Apollo's `update`; throws when the gateway refuses it
 * (having restored `previous`). Supplied by the gateway, which knows its pipeline.
 */
export type SupergraphSwap = (update: (sdl: string) => void, next: string, previous: string) => void;

/**
 * Hot reload of a gateway's supergraph through @apollo/gateway's supported `supergraphSdl` hook:
 * Apollo builds the new schema beside the old one, so requests already executing finish on the
 * one they started with. A candidate that does not build (composition or governance problems) or
 * that the gateway refuses is logged and dropped: the last good supergraph keeps serving.
 */
export class SupergraphReloader {
  private current = '';
  private lastFingerprint: string | undefined;
  private lastFailure: string | undefined;
  private swap: ((next: string, previous: string) => void) | undefined;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<ReloadOutcome> | undefined;
  private pending: Promise<ReloadOutcome> | undefined;

  constructor(
    private readonly source: SupergraphSource,
    private readonly options: { intervalMs: number; logger: Logger },
  ) {}

  /** The hook for `new ApolloGateway({ supergraphSdl })`: serves `initialSdl` first, then what reloads find. */
  hook(initialSdl: string, prepare: (sdl: string) => string, swap: SupergraphSwap): SupergraphSdlHook {
    return async ({ update }) => {
      this.current = initialSdl;
      this.swap = (next, previous) => swap(update, next, previous);
      if (this.options.intervalMs > 0) {
        this.timer = setInterval(() => void this.reload(), this.options.intervalMs);
        this.timer.unref();
      }
      return { supergraphSdl: prepare(initialSdl), cleanup: async () => this.stop() };
    };
  }

  /**
   * Looks for a changed supergraph now (a poll, SIGHUP): builds it when the inputs changed, or
   * always with `force`. One reload at a time; a trigger during one runs once after it.
   */
  reload(options: { force?: boolean } = {}): Promise<ReloadOutcome> {
    if (!this.running) {
      this.running = this.reloadOnce(options.force ?? false).finally(() => (this.running = undefined));
      return this.running;
    }
    this.pending ??= this.running.then(() => {
      this.pending = undefined;
      return this.reload(options);
    });
    return this.pending;
  }

  stop(): void {
    clearInterval(this.timer);
    this.swap = undefined;
  }

  private async reloadOnce(force: boolean): Promise<ReloadOutcome> {
    const { logger } = this.options;
    if (!this.swap) return { status: 'unchanged' }; // not loaded yet, or stopped
    let fingerprint: string | undefined;
    try {
      fingerprint = await this.source.fingerprint();
      // The first poll builds once: the inputs may have changed between start-up's build and now.
      if (!force && fingerprint === this.lastFingerprint) return { status: 'unchanged' };
      const next = await this.source.build();
      if (next === this.current) {
        this.lastFingerprint = fingerprint;
        return { status: 'unchanged' };
      }
      if (!this.swap) return { status: 'unchanged' }; // stopped while building
      this.swap(next, this.current);
      this.current = next;
      this.lastFingerprint = fingerprint;
      this.lastFailure = undefined;
      logger.info({ source: this.source.name }, `supergraph reloaded from ${this.source.name}`);
      return { status: 'updated' };
    } catch (error) {
      // A broken input is reported once, not on every poll: its fingerprint is remembered as tried.
      if (fingerprint !== undefined) this.lastFingerprint = fingerprint;
      const code = error instanceof MeshgateError ? error.code : 'INTERNAL_SERVER_ERROR';
      const message = error instanceof Error ? error.message : String(error);
      if (force || message !== this.lastFailure) {
        logger.error({ source: this.source.name, code }, `supergraph reload failed, still serving the last good supergraph: ${code}: ${message}`);
      }
      this.lastFailure = message;
      return { status: 'failed', error };
    }
  }
}

/** Reloads on SIGHUP (the Unix convention for "read your configuration again"); returns the unsubscribe. */
export function reloadOnSighup(reloader: SupergraphReloader): () => void {
  const onHangup = () => void reloader.reload({ force: true });
  process.on('SIGHUP', onHangup);
  return () => process.off('SIGHUP', onHangup);
}

/**
 * The reloader of a gateway: it watches the supergraph file (`--supergraph`; polling off unless
 * `meshgate.reload.interval` sets it) or the config's subgraph schemas (polling on by default).
 */
export function reloaderFor(
  input: { supergraphFile?: string; config?: MeshgateConfig },
  build: () => Promise<string>,
  logger: Logger,
): SupergraphReloader {
  const settings = input.config?.settings ?? {};
  if (input.supergraphFile) {
    return new SupergraphReloader(fileSupergraphSource(input.supergraphFile, build), { intervalMs: reloadIntervalMs(settings, 0), logger });
  }
  if (!input.config) throw new MeshgateError('CONFIG_INVALID', 'hot reload needs a supergraph file or a config to watch');
  const source = configSupergraphSource(input.config.source, input.config.subgraphs, build);
  return new SupergraphReloader(source, { intervalMs: reloadIntervalMs(settings, DEFAULT_RELOAD_INTERVAL_MS), logger });
}
