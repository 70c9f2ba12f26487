// `npx tsx bench/profile-summary.ts FILE.cpuprofile [--top N] [--after FUNCTION]`: where a gateway's
// CPU time went, from a V8 profile (`npm run bench -- --cpu-prof DIR`): self time by package or
// project folder, the hottest functions, then the heaviest project functions with their callees.
// Idle and GC are listed apart so the shares are of real work. Samples before the first stack that
// reaches `--after` (default `executeQueryPlan`, the first request) are left out: start-up compiling.
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** `node_modules/@apollo/gateway/…` → `@apollo/gateway`; a project file → its top folder; node internals → `node`. */
function ownerOf(url: string): string {
  if (!url) return '(native)';
  if (url.startsWith('node:')) return 'node';
  const file = url.replace(/^file:\/\//, '');
  const modules = file.lastIndexOf('node_modules/');
  if (modules >= 0) {
    const [scope, name] = file.slice(modules + 'node_modules/'.length).split('/');
    return scope.startsWith('@') ? `${scope}/${name}` : scope;
  }
  const relative = path.relative(process.cwd(), file);
  return relative.startsWith('..') ? file : relative.split(path.sep).slice(0, 2).join('/');
}

export function summarise(profile: Profile, top = 15, after = 'executeQueryPlan'): string {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parentOf = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parentOf.set(c, n.id);
  const stackOf = (id: number): ProfileNode[] => {
    const stack: ProfileNode[] = [];
    for (let at: number | undefined = id; at !== undefined; at = parentOf.get(at)) stack.push(byId.get(at)!);
    return stack;
  };
  const first = after ? profile.samples.findIndex((id) => stackOf(id).some((n) => n.callFrame.functionName === after)) : 0;
  const from = Math.max(0, first);
  const selfMs = new Map<number, number>();
  for (let i = from; i < profile.samples.length; i++) {
    const id = profile.samples[i];
    selfMs.set(id, (selfMs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000);
  }
  // Total (self + callees) time of project functions: where our own code spends, whoever does the work.
  const totalMs = new Map<string, number>();
  for (const [id, ms] of selfMs) {
    const seen = new Set<string>();
    for (const n of stackOf(id)) {
      const { functionName, url, lineNumber } = n.callFrame;
      if (!url || url.includes('node_modules') || url.startsWith('node:')) continue;
      const name = `${functionName || '(anonymous)'} ${ownerOf(url)}:${lineNumber + 1}`;
      if (seen.has(name)) continue;
      seen.add(name);
      totalMs.set(name, (totalMs.get(name) ?? 0) + ms);
    }
  }
  const special = new Map<string, number>();
  const owners = new Map<string, number>();
  const functions = new Map<string, number>();
  let busy = 0;
  for (const [id, ms] of selfMs) {
    const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
    if (['(idle)', '(program)', '(garbage collector)'].includes(functionName)) {
      special.set(functionName, (special.get(functionName) ?? 0) + ms);
      if (functionName === '(idle)') continue;
    }
    busy += ms;
    const owner = functionName === '(garbage collector)' || functionName === '(program)' ? functionName : ownerOf(url);
    owners.set(owner, (owners.get(owner) ?? 0) + ms);
    const name = `${functionName || '(anonymous)'} ${url ? `${ownerOf(url)}:${lineNumber + 1}` : ''}`.trim();
    functions.set(name, (functions.get(name) ?? 0) + ms);
  }
  const pct = (ms: number) => `${((100 * ms) / busy).toFixed(1).padStart(5)}%`;
  const rows = (m: Map<string, number>) =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([k, ms]) => `  ${pct(ms)} ${ms.toFixed(0).padStart(7)} ms  ${k}`);
  return [
    `busy ${busy.toFixed(0)} ms (idle ${(special.get('(idle)') ?? 0).toFixed(0)} ms)${first > 0 ? `, from the first ${after}` : ''}`,
    'self time by package or folder:',
    ...rows(owners),
    'hottest functions (self time):',
    ...rows(functions),
    'project functions, self + callees:',
    ...rows(totalMs),
  ].join('\n');
}

if (require.main === module) {
  const { values, positionals } = parseArgs({ allowPositionals: true, options: { top: { type: 'string' }, after: { type: 'string' } } });
  if (positionals.length !== 1) {
    process.stderr.write('usage: npx tsx bench/profile-summary.ts FILE.cpuprofile [--top N] [--after FUNCTION]\n');
    process.exit(2);
  }
  const profile = JSON.parse(fs.readFileSync(positionals[0], 'utf8')) as Profile;
  process.stdout.write(`${summarise(profile, Number(values.top ?? 15), values.after ?? 'executeQueryPlan')}\n`);
}
