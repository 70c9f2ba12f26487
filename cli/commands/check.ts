import fs from 'node:fs';
import { formatProblems } from '../../gateway/compose';
import { DEFAULT_CONFIG_FILE, loadConfig } from '../../gateway/config';
import { auditSource, openAuditTrail } from '../../gateway/checks/audit-source';
import { checkSubgraphSchema, clientName, label, type SchemaCheckReport } from '../../gateway/checks/schema-check';
import { governanceSettings } from '../../gateway/pipeline';
import { loadPolicy } from '../../policies';
import { MeshgateError } from '../../shared/errors';
import { numberFlag, parseFlags, UsageError } from '../args';
import { exitTwoUnlessVerdict } from '../verdict';

export const help = `meshgate check --subgraph NAME --schema FILE [--config supergraph.yaml] [--days 30] [--allow-lowering Type.field]… [--audit-url URL] [--json]

Checks a proposed schema for one subgraph before it ships, against the schema the config names
for it today: (1) it composes with the other subgraphs; (2) it passes governance (every field
classified, the data-product descriptor complete, every type and field documented), and lowers no
field's classification (level, or personal-data category dropped) unless --allow-lowering names
it; (3) its breaking changes to the client-visible schema (graphql-inspector) touch no field a
client used in the last --days days, according to the audit trail (MESHGATE_AUDIT_DATABASE_URL,
else <MESHGATE_DATA_DIR or .data>/audit.sqlite; or --audit-url postgres://… or an SQLite file).
Breaking changes to fields nobody used are allowed.
Exit 0 safe, 1 unsafe (every reason listed), 2 when no verdict was reached: a usage mistake, a
config, policy, schema file or audit trail that cannot be read, or an unexpected error. --json
prints one JSON object (see the README) instead of text; on exit 2, {"error":{"code","message"}}.`;

const out = (text: string) => process.stdout.write(text);

function printText(report: SchemaCheckReport): void {
  const { composition, lowered, changes } = report;
  if (!composition.ok) out(`${composition.code}: ${composition.problems.length} problem(s) composing with ${report.schema}:\n${formatProblems(composition.problems)}\n`);
  for (const l of lowered) out(`${l.allowed ? 'allowed' : 'LOWERED'}: ${l.coordinate} ${label(l.from)} -> ${label(l.to)}\n`);
  for (const c of changes.filter((c) => c.criticality !== 'NON_BREAKING')) {
    const users = c.clients.length ? `: used by ${c.clients.map((u) => `${clientName(u.client)} (${u.events}, last ${u.lastUsed})`).join(', ')}` : c.criticality === 'BREAKING' ? ': unused' : '';
    out(`${c.criticality}: ${c.message}${users}\n`);
  }
  const safeChanges = changes.filter((c) => c.criticality === 'NON_BREAKING').length;
  if (report.safe) out(`safe: ${report.subgraph} ${report.schema} (${changes.length} change(s), ${safeChanges} non-breaking)\n`);
  else process.stderr.write(`meshgate check: SCHEMA_CHECK_FAILED: ${report.subgraph} ${report.schema} is unsafe:\n  ${report.reasons.join('\n  ')}\n`);
}

export function run(argv: string[]): Promise<number> {
  return exitTwoUnlessVerdict('check', argv, () => check(argv));
}

async function check(argv: string[]): Promise<number> {
  const { values, positionals } = parseFlags(
    argv,
    {
      subgraph: { type: 'string' },
      schema: { type: 'string' },
      config: { type: 'string' },
      days: { type: 'string' },
      'allow-lowering': { type: 'string', multiple: true },
      'audit-url': { type: 'string' },
      json: { type: 'boolean' },
    },
    'check',
  );
  if (positionals.length) throw new UsageError(`unexpected argument "${positionals[0]}" (see \`meshgate help check\`)`);
  if (!values.subgraph || !values.schema) throw new UsageError('--subgraph and --schema are required (see `meshgate help check`)');
  const days = numberFlag(values.days, 'days', 30);
  if (!Number.isInteger(days) || days < 1) throw new UsageError(`--days must be a whole number of days, 1 or more, got "${values.days}"`);
  const allowLowering = new Set(values['allow-lowering'] ?? []);
  for (const c of allowLowering) if (!/^[A-Za-z_]\w*\.[A-Za-z_]\w*$/.test(c)) throw new UsageError(`--allow-lowering takes a field as Type.field, got "${c}"`);

  let proposedSdl: string;
  try {
    proposedSdl = fs.readFileSync(values.schema, 'utf8');
  } catch (err) {
    throw new MeshgateError('CONFIG_INVALID', `cannot read schema file ${values.schema} (${(err as { code?: string }).code ?? (err as Error).message})`);
  }
  const config = loadConfig(values.config ?? DEFAULT_CONFIG_FILE);
  // Compose as the gateway would: with the policy's default classification, if it sets one.
  const policy = loadPolicy(governanceSettings(config.settings, config.baseDir).policyFile);
  const store = auditSource(values['audit-url']);
  const report = await checkSubgraphSchema({
    config,
    subgraph: values.subgraph,
    proposedSdl,
    proposedOrigin: values.schema,
    allowLowering,
    defaultClassification: policy.defaultClassification,
    since: new Date(Date.now() - days * 86_400_000),
    openStore: () => openAuditTrail(store),
  });
  if (values.json) out(`${JSON.stringify(report, null, 2)}\n`);
  else printText(report);
  return report.safe ? 0 : 1;
}
