import { auditSource, openAuditTrail } from '../../gateway/checks/audit-source';
import { simulatePolicy, type PolicySimulation } from '../../gateway/checks/policy-simulation';
import { exportEvents } from '../../gateway/audit/queries';
import { buildFieldCatalog } from '../../gateway/authorization/catalog';
import { DEFAULT_CONFIG_FILE, loadConfig } from '../../gateway/config';
import { readClassifications } from '../../gateway/governance';
import { governanceSettings } from '../../gateway/pipeline';
import { loadPolicy } from '../../policies';
import type { Policy } from '../../policies/types';
import { MeshgateError } from '../../shared/errors';
import { parseFlags, UsageError } from '../args';
import { exitTwoUnlessVerdict } from '../verdict';
import { parseWhen } from './audit';
import { loadSupergraph } from './gateway';

export const help = `meshgate policy simulate --policy FILE [--since 30d|DATE] [--config supergraph.yaml | --supergraph FILE] [--audit-url URL] [--json]

Replays the operations the audit trail recorded since --since (default 30d) against the current
policy (the config's meshgate.policy, default policies/policy.yaml) and the proposed one, field by
field, and reports which clients and operations would lose or gain access to which fields
(allow, mask, deny). The trail: MESHGATE_AUDIT_DATABASE_URL, else <MESHGATE_DATA_DIR or .data>/audit.sqlite,
or --audit-url. Exit 0 with the report (changes or none); 2 when nothing was simulated: the
proposed policy is invalid (POLICY_INVALID), the config, supergraph or audit trail cannot be read,
a usage mistake, or an unexpected error. With --json, exit 2 prints {"error":{"code","message"}}.`;

const out = (text: string) => process.stdout.write(text);

function printText(report: PolicySimulation, since: Date, proposedFile: string): void {
  out(`replayed ${report.events} recorded operation(s) since ${since.toISOString()} against ${proposedFile}\n`);
  for (const op of report.operations) {
    const who = `client ${op.client ?? '(unnamed)'}, operation ${op.operation ?? '(anonymous)'}, roles ${op.roles.join('+') || '(none)'}${op.purpose ? `, purpose ${op.purpose}` : ''}`;
    out(`${who} (${op.events} event(s)):\n`);
    for (const c of op.lost) out(`  loses  ${c.coordinate} ${c.from} -> ${c.to}\n`);
    for (const c of op.gained) out(`  gains  ${c.coordinate} ${c.from} -> ${c.to}\n`);
  }
  if (!report.changed) out('no change: every recorded field is decided as the current policy decides it\n');
}

async function runSimulate(argv: string[]): Promise<number> {
  const { values, positionals } = parseFlags(
    argv,
    { policy: { type: 'string' }, since: { type: 'string' }, config: { type: 'string' }, supergraph: { type: 'string' }, 'audit-url': { type: 'string' }, json: { type: 'boolean' } },
    'policy',
  );
  if (positionals.length) throw new UsageError(`unexpected argument "${positionals[0]}" (see \`meshgate help policy\`)`);
  if (!values.policy) throw new UsageError('policy simulate: --policy FILE (the proposed policy) is required');
  const since = parseWhen(values.since ?? '30d', 'since')!;
  const config = loadConfig(values.config ?? DEFAULT_CONFIG_FILE);
  const current = loadPolicy(governanceSettings(config.settings, config.baseDir).policyFile);
  let proposed: Policy;
  try {
    proposed = loadPolicy(values.policy);
  } catch (err) {
    if (err instanceof MeshgateError && err.code === 'POLICY_INVALID') throw new MeshgateError('POLICY_INVALID', `the proposed policy ${values.policy} is invalid: ${err.message}`);
    throw err;
  }
  // Fields are decided as the gateway would today: classification and requirements from the current supergraph.
  const supergraphSdl = await loadSupergraph({ supergraph: values.supergraph, config: config.source, defaultClassification: current.defaultClassification });
  const catalog = buildFieldCatalog(supergraphSdl, readClassifications(supergraphSdl), current.defaultClassification);
  const store = await openAuditTrail(auditSource(values['audit-url']));
  let report: PolicySimulation;
  try {
    report = await simulatePolicy(exportEvents(store, { since }), current, proposed, catalog);
  } finally {
    await store.close();
  }
  if (values.json) out(`${JSON.stringify({ since: since.toISOString(), policy: values.policy, ...report }, null, 2)}\n`);
  else printText(report, since, values.policy);
  return 0;
}

export function run(argv: string[]): Promise<number> {
  // Nothing simulated is not a report: every failure exits 2 (see exitTwoUnlessVerdict).
  return exitTwoUnlessVerdict('policy', argv, async () => {
    const [sub, ...rest] = argv;
    if (sub !== 'simulate') throw new UsageError(`${sub ? `unknown subcommand "${sub}"` : 'a subcommand is required'}: simulate (see \`meshgate help policy\`)`);
    return runSimulate(rest);
  });
}
