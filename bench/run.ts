// `npm run bench -- [--quick] [--duration S] [--warmup S] [--connections N] [--scale N] [--max-requests N] [--no-pin] [--audit-db postgres://…]`
import path from 'node:path';
import { parseArgs } from 'node:util';
import { runBenchmark, type BenchOptions } from './harness';
import { failedResponses, formatReport, writeJson } from './report';

const RESULTS_FILE = path.join(__dirname, 'results', 'latest.json');

function numberFlag(value: string | undefined, name: string, fallback: number, allowZero = false): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!(allowZero ? n >= 0 : n > 0)) throw new Error(`--${name} must be a ${allowZero ? 'non-negative' : 'positive'} number, got "${value}"`);
  return n;
}

function parseOptions(argv: string[]): Omit<BenchOptions, 'signal' | 'log'> {
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: 'boolean', default: false },
      duration: { type: 'string' },
      warmup: { type: 'string' },
      connections: { type: 'string' },
      scale: { type: 'string' },
      'max-requests': { type: 'string' },
      'no-pin': { type: 'boolean', default: false },
      'audit-db': { type: 'string' },
    },
  });
  // --quick: ten rows of 1 s warm-up + 3 s load on a small data set, about a minute in all.
  const quick = values.quick;
  return {
    scale: numberFlag(values.scale, 'scale', quick ? 0.05 : 0.2),
    durationSec: numberFlag(values.duration, 'duration', quick ? 3 : 10),
    warmupSec: numberFlag(values.warmup, 'warmup', quick ? 1 : 3, true),
    // 10 connections keep a closed loop below the subgraphs' saturation on a 2-core machine; more only adds queueing.
    connections: Math.max(1, Math.round(numberFlag(values.connections, 'connections', 10))),
    maxRequests: Math.max(1, Math.round(numberFlag(values['max-requests'], 'max-requests', 200_000))),
    pin: !values['no-pin'],
    ...(values['audit-db'] && { auditDbUrl: values['audit-db'] }),
  };
}

const abort = new AbortController();

async function main(): Promise<number> {
  const options = parseOptions(process.argv.slice(2));
  // First Ctrl-C stops the load and every child cleanly; a second one exits at once.
  process.once('SIGINT', () => {
    process.stderr.write('\ninterrupted: stopping the mesh…\n');
    abort.abort();
    process.once('SIGINT', () => process.exit(130));
  });
  process.once('SIGTERM', () => abort.abort());
  const report = await runBenchmark({ ...options, signal: abort.signal, log: (line) => process.stderr.write(`${line}\n`) });
  process.stdout.write(`\n${formatReport(report)}\n`);
  writeJson(report, RESULTS_FILE);
  process.stdout.write(`\nJSON: ${path.relative(process.cwd(), RESULTS_FILE)}\n`);
  if (!report.auditCheck.met) {
    process.stderr.write(`\nAUDIT EVENTS MISSED: ${report.auditCheck.events} events in the store, ${report.auditCheck.requests} requests answered by the governed gateway\n`);
    return 1;
  }
  const failing = report.results.filter((r) => failedResponses(r) > 0);
  if (failing.length) {
    const detail = failing.map((r) => `  ${r.id}: ${Object.entries(r.failures).filter(([, n]) => n > 0).map(([kind, n]) => `${n} ${kind}`).join(', ')}`);
    process.stderr.write(`\nFAILED RESPONSES under load; these rows do not measure successful requests only (and timed-out requests are missing from their latencies):\n${detail.join('\n')}\n`);
    return 1;
  }
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`bench: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(abort.signal.aborted ? 130 : 1);
  },
);
