// `npm run bench -- [--quick] [--soak] [--cpu-prof DIR] [--workload NAME…] [--rounds N] [--duration S] [--warmup S] [--connections N] [--scale N] [--max-requests N] [--soak-seconds S] [--equal-load SHARE] [--no-pin] [--out FILE]`
import path from 'node:path';
import { parseArgs } from 'node:util';
import { EQUAL_LOAD_SHARE } from './equal-load';
import { runBenchmark, type BenchOptions } from './harness';
import { failedResponses } from './load';
import { formatReport, summaryLine, writeJson } from './report';
import { workloads, type Workload } from './workloads';

const DEFAULT_RESULTS_FILE = path.join(__dirname, 'results', 'latest.json');
const SOAK_SECONDS = 300;

function numberFlag(value: string | undefined, name: string, fallback: number, allowZero = false): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!(allowZero ? n >= 0 : n > 0)) throw new Error(`--${name} must be a ${allowZero ? 'non-negative' : 'positive'} number, got "${value}"`);
  return n;
}

/** `--equal-load 0.5`: bare and governed at half bare's req/s, open loop; 0 skips it. */
function equalLoadShare(value: string | undefined): number {
  const share = numberFlag(value, 'equal-load', EQUAL_LOAD_SHARE, true);
  if (share >= 1) throw new Error(`--equal-load is a share of bare's req/s below 1 (bare would be saturated), got "${value}"`);
  return share;
}

/** `--workload heavy --workload mixed`: only these rows, for profiling one workload. */
function selectWorkloads(names: string[]): Workload[] {
  const unknown = names.filter((n) => !workloads.some((w) => w.name === n));
  if (unknown.length) throw new Error(`--workload: unknown ${unknown.join(', ')}; known: ${workloads.map((w) => w.name).join(', ')}`);
  return workloads.filter((w) => names.includes(w.name));
}

function parseOptions(argv: string[]): Omit<BenchOptions, 'signal' | 'log'> & { resultsFile: string } {
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: 'boolean', default: false },
      soak: { type: 'boolean', default: false },
      'soak-seconds': { type: 'string' },
      rounds: { type: 'string' },
      duration: { type: 'string' },
      warmup: { type: 'string' },
      connections: { type: 'string' },
      scale: { type: 'string' },
      'max-requests': { type: 'string' },
      'equal-load': { type: 'string' },
      'no-pin': { type: 'boolean', default: false },
      out: { type: 'string' },
      'cpu-prof': { type: 'string' },
      workload: { type: 'string', multiple: true },
    },
  });
  // --quick: 2 rounds × 9 rows of 2 s (1 s warm-up in the first) on a small data set: well under two minutes.
  const quick = values.quick;
  const soakSec = values.soak || values['soak-seconds'] ? numberFlag(values['soak-seconds'], 'soak-seconds', SOAK_SECONDS) : undefined;
  return {
    scale: numberFlag(values.scale, 'scale', quick ? 0.05 : 0.2),
    rounds: Math.max(1, Math.round(numberFlag(values.rounds, 'rounds', 2))),
    durationSec: numberFlag(values.duration, 'duration', quick ? 2 : 10),
    warmupSec: numberFlag(values.warmup, 'warmup', quick ? 1 : 3, true),
    // 10 connections keep a closed loop below the subgraphs' saturation on a 2-core machine; more only adds queueing.
    connections: Math.max(1, Math.round(numberFlag(values.connections, 'connections', 10))),
    maxRequests: Math.max(1, Math.round(numberFlag(values['max-requests'], 'max-requests', 200_000))),
    pin: !values['no-pin'],
    equalLoadShare: equalLoadShare(values['equal-load']),
    // --quick: one equal-load round keeps the run under two minutes.
    ...(quick && !values.rounds && { equalLoadRounds: 1 }),
    ...(soakSec && { soakSec }),
    ...(values['cpu-prof'] && { cpuProfDir: path.resolve(values['cpu-prof']) }),
    ...(values.workload && { workloads: selectWorkloads(values.workload) }),
    resultsFile: path.resolve(values.out ?? DEFAULT_RESULTS_FILE),
  };
}

/** A path as typed: relative when it is under the working folder. */
const shown = (file: string) => (path.relative(process.cwd(), file).startsWith('..') ? file : path.relative(process.cwd(), file));

const started = performance.now();
const elapsed = () => `${((performance.now() - started) / 1000).toFixed(0).padStart(3)} s`;

const abort = new AbortController();

async function main(): Promise<number> {
  const { resultsFile, ...options } = parseOptions(process.argv.slice(2));
  // First Ctrl-C stops the load and every child cleanly; a second one exits at once.
  process.once('SIGINT', () => {
    process.stderr.write('\ninterrupted: stopping the mesh…\n');
    abort.abort();
    process.once('SIGINT', () => process.exit(130));
  });
  process.once('SIGTERM', () => abort.abort());
  const report = await runBenchmark({ ...options, signal: abort.signal, log: (line) => process.stderr.write(`[${elapsed()}] ${line}\n`) });
  writeJson(report, resultsFile);
  process.stdout.write(`\n${formatReport(report)}\n\nJSON: ${shown(resultsFile)}\n`);
  // Missed targets are findings, not errors; failed responses mean the figures measure failures.
  const failing = [
    ...report.rows.filter((r) => failedResponses(r.failures) > 0).map((r) => ({ id: `${r.workload} via ${r.gateway}`, failures: r.failures })),
    ...(report.equalLoad?.rows ?? []).flatMap((r) =>
      (['bare', 'governed'] as const).filter((g) => r[g].failed > 0).map((g) => ({ id: `${r.workload} via ${g} at equal load`, failures: { failed: r[g].failed } })),
    ),
    ...(report.soak && failedResponses(report.soak.failures) > 0 ? [{ id: 'soak', failures: report.soak.failures }] : []),
  ];
  if (failing.length) {
    const detail = failing.map((r) => `  ${r.id}: ${Object.entries(r.failures).filter(([, n]) => n > 0).map(([kind, n]) => `${n} ${kind}`).join(', ')}`);
    process.stderr.write(`\nFAILED RESPONSES under load; these rows do not measure successful requests only:\n${detail.join('\n')}\n`);
  }
  process.stdout.write(`${summaryLine(report)}\n`);
  return failing.length ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`bench: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(abort.signal.aborted ? 130 : 1);
  },
);
