import v8 from 'node:v8';
import { MeshgateError } from '../shared/errors';

/**
 * How far V8 lets the old generation grow past what the last full collection kept, in percent
 * (100: the next full collection starts at twice the live heap). Left to itself, V8 let a busy
 * gateway's old generation swing between 55 and 240 MB (live: ~60 MB), and RSS with it, so a
 * minute's mean RSS depended on where it fell in the swing. Bounded, full collections come about
 * twice as often; since the gateway promotes less (in-flight answers let go, `inflight-dedup.ts`)
 * they no longer cost p99: side by side, `small`'s p99 39.6 against 47.0 ms, peak RSS 40–90 MB lower
 * (bench/README.md). `0` gives V8 its own policy back.
 */
export const DEFAULT_HEAP_GROWTH_PERCENT = 100;

/**
 * The Node flags a gateway process starts with (Dockerfile, compose.yaml, the benchmark's
 * Meshgate gateways): young-generation semi-spaces of 32 MB instead of V8's 16. A request keeps
 * its parsed subgraph answers alive across young collections, so each scavenge copies the data of
 * every request in flight: with V8's 16 MB, scavenges took a fifth of the event loop on `heavy`.
 * Larger is not better: what a scavenge copies grows with what was allocated since the last one,
 * so each pause is about as long as the semi-space is large, and a pause stops every request in
 * flight. Side by side with the old generation bounded, 32 MB against 64: `small`'s p99 30 against
 * 39 ms, `heavy`'s 256 against 281, `mixed`'s 128 against 114, 45 MB less RSS (bench/README.md).
 * V8 sizes the young generation only at start: unlike the heap growth, it cannot be set from
 * inside the process.
 */
export const GATEWAY_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=32'];

/** `MESHGATE_HEAP_GROWTH_PERCENT`: an integer from 10 to 400 (default 100), or `0` for V8's own policy. */
export function heapGrowthPercentFromEnv(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.MESHGATE_HEAP_GROWTH_PERCENT;
  if (raw === undefined || raw.trim() === '') return DEFAULT_HEAP_GROWTH_PERCENT;
  const value = Number(raw);
  if (!Number.isInteger(value) || (value !== 0 && (value < 10 || value > 400))) {
    throw new MeshgateError('CONFIG_INVALID', `MESHGATE_HEAP_GROWTH_PERCENT must be 0 (V8's default) or an integer from 10 to 400, got "${raw}"`);
  }
  return value;
}

/**
 * Sets the process's heap growth (a V8 flag, read at every full collection, so it applies from
 * the next one). For a gateway process's entry point only: it affects the whole process.
 */
export function limitHeapGrowth(percent: number = heapGrowthPercentFromEnv()): void {
  if (percent > 0) v8.setFlagsFromString(`--heap-growing-percent=${percent}`);
}

/**
 * Lets worker threads started from now on size their own young generation. V8 flags are
 * process-wide, and a `--max-semi-space-size` flag (`GATEWAY_NODE_FLAGS`) sizes every isolate's
 * young generation, over a Worker's own `resourceLimits`: the audit append thread, whose batches
 * live for milliseconds, grew its young generation to 134 MB committed with 64 MB
 * semi-spaces, and its heap from 25 to 115 MB over a 5-minute soak (bench/README.md). The
 * gateway's own heap was sized when it started and keeps the flag's size. Call before `new Worker`.
 */
export function sizeWorkersByTheirOwnLimits(): void {
  v8.setFlagsFromString('--max-semi-space-size=0');
}
