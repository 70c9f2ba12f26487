import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { aggregate, type Row } from './aggregate';
import { choosePlacement, describeMachine, pin, SHARED_CPU, type Machine } from './cpus';
import { measureEqualLoad, type EqualLoadRow } from './equal-load';
import { measureRow, type LoadSettings, type RoundRow } from './measure';
import { startMesh, type Mesh } from './mesh';
import { runSoak, type SoakResult } from './soak';
import { evaluateTargets, type AuditCheck, type Target } from './targets';
import { sizeKey, verifyWorkloads } from './verify';
import { GATEWAYS, SOAK_WORKLOAD, workloads as defaultWorkloads, type GatewayName, type Workload } from './workloads';

export interface BenchOptions extends LoadSettings {
  /** Demo data size (MESHGATE_SCALE) seeded into fresh SQLite files. */
  scale: number;
  /** Each round measures every workload through every gateway; the gateway order reverses every round. */
  rounds: number;
  /** Pin processes to CPUs with taskset when available. */
  pin: boolean;
  /** After the rounds, load the governed gateway alone this long and compare its RSS (--soak: 300). */
  soakSec?: number;
  /** After the rounds, bare and governed at this share of bare's req/s, open loop (0: not run). */
  equalLoadShare?: number;
  /** Rounds of the equal-load runs (default: `rounds`). */
  equalLoadRounds?: number;
  /** `--cpu-prof DIR`: every gateway and subgraph process writes a V8 CPU profile under DIR/<name>/ when it stops. */
  cpuProfDir?: string;
  workloads?: Workload[];
  /** Progress messages. */
  log?: (line: string) => void;
}

export interface Report {
  startedAt: string;
  machine: Machine;
  /** 1-minute load average before the mesh started and after the last run: other work on the machine skews results. */
  loadAverage: { before: number; after: number };
  pinned: boolean;
  placement: string;
  settings: { scale: number; rounds: number; durationSec: number; warmupSec: number; connections: number; maxRequests: number; soakSec?: number };
  subgraphs: string[];
  /** The gateway order of each round. */
  order: GatewayName[][];
  rows: Row[];
  /** Latency of bare and governed at the same open-loop rate (`equal-load.ts`). */
  equalLoad?: { share: number; durationSec: number; rounds: number; rows: EqualLoadRow[] };
  soak?: SoakResult;
  auditCheck: AuditCheck;
  targets: Target[];
}

/** Round 0 runs bare first, round 1 governed first, and so on: drift over the run (machine load, caches, the audit store growing) hits every gateway alike. */
export function gatewayOrder(round: number): GatewayName[] {
  return round % 2 === 0 ? [...GATEWAYS] : [...GATEWAYS].reverse();
}

async function runRounds(mesh: Mesh, workloads: Workload[], options: BenchOptions, onGoverned: (n: number) => void): Promise<RoundRow[]> {
  const log = options.log ?? (() => undefined);
  const rows: RoundRow[] = [];
  for (let round = 0; round < options.rounds; round++) {
    for (const w of workloads) {
      for (const gateway of gatewayOrder(round)) {
        // Warm-up in the first round only: later rounds find the JIT and the plan caches warm.
        const warm = round === 0;
        log(`round ${round + 1}/${options.rounds}, ${w.name} via ${gateway}: ${warm ? `${options.warmupSec} s warm-up, ` : ''}${options.durationSec} s measured`);
        rows.push(await measureRow(mesh, gateway, w, round, { ...options, warm }, onGoverned));
      }
    }
  }
  return rows;
}

/**
 * Starts the mesh on fresh data, verifies every workload through every gateway, measures the
 * rounds, optionally soaks the governed gateway, and checks the audit store against every request
 * the governed gateway was sent. Every child process is stopped before this returns or throws.
 */
export async function runBenchmark(options: BenchOptions): Promise<Report> {
  const log = options.log ?? (() => undefined);
  const workloads = options.workloads ?? defaultWorkloads;
  const placement = choosePlacement(options.pin);
  pin(placement, process.pid, SHARED_CPU);
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'meshgate-bench-'));
  const startedAt = new Date().toISOString();
  const loadBefore = os.loadavg()[0];
  let mesh: Mesh | undefined;
  try {
    log(`starting the subgraphs (fresh demo data at scale ${options.scale}) and the gateways: ${GATEWAYS.join(', ')}…`);
    mesh = await startMesh({ scale: options.scale, dataDir, placement, cpuProfDir: options.cpuProfDir, signal: options.signal });
    let governedRequests = 0;
    const onGoverned = (n: number) => (governedRequests += n);
    log('verifying every request of every workload through every gateway…');
    const sizes = await verifyWorkloads(mesh, workloads, onGoverned);
    const rows = aggregate(await runRounds(mesh, workloads, options, onGoverned), workloads.map((w) => w.name), GATEWAYS, (g, w) => sizes.get(sizeKey(g, w)) ?? 0);
    let equalLoad: Report['equalLoad'];
    if (options.equalLoadShare) {
      const settings = { share: options.equalLoadShare, rounds: options.equalLoadRounds ?? options.rounds, durationSec: options.durationSec, maxRequests: options.maxRequests, signal: options.signal };
      log(`equal load: bare and governed at ${Math.round(settings.share * 100)}% of bare's req/s, open loop`);
      equalLoad = { share: settings.share, durationSec: settings.durationSec, rounds: settings.rounds, rows: await measureEqualLoad(mesh, workloads, rows, settings, onGoverned) };
    }
    let soak: SoakResult | undefined;
    if (options.soakSec) {
      const workload = workloads.find((w) => w.name === SOAK_WORKLOAD) ?? workloads[0];
      log(`soak: ${workload.name} via governed for ${options.soakSec} s`);
      soak = await runSoak(mesh, workload, { seconds: options.soakSec, connections: options.connections, signal: options.signal }, onGoverned);
    }
    // Each run settled its gateway (in-flight requests answered, so audited); the flush writes the last batch.
    const { events, ...writer } = await mesh.auditStats(true);
    const auditCheck: AuditCheck = { requests: governedRequests, events, met: events === governedRequests, writer };
    return {
      startedAt,
      machine: describeMachine(),
      loadAverage: { before: loadBefore, after: os.loadavg()[0] },
      pinned: placement.pinned,
      placement: placement.description,
      settings: {
        scale: options.scale,
        rounds: options.rounds,
        durationSec: options.durationSec,
        warmupSec: options.warmupSec,
        connections: options.connections,
        maxRequests: options.maxRequests,
        ...(options.soakSec && { soakSec: options.soakSec }),
      },
      subgraphs: mesh.subgraphs.map((s) => s.name),
      order: Array.from({ length: options.rounds }, (_, round) => gatewayOrder(round)),
      rows,
      ...(equalLoad && { equalLoad }),
      ...(soak && { soak }),
      auditCheck,
      targets: evaluateTargets(rows, auditCheck, soak),
    };
  } finally {
    await mesh?.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}
