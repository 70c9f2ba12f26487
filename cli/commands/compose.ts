import fs from 'node:fs';
import { composeSupergraph, formatProblems, loadSubgraphSchemas } from '../../gateway/compose';
import { DEFAULT_CONFIG_FILE, loadConfig } from '../../gateway/config';
import { isLevel, LEVELS, type Level } from '../../shared/classification';
import { parseFlags, UsageError } from '../args';

export const help = `meshgate compose [--config supergraph.yaml] [--output supergraph.graphql] [--default-classification LEVEL]

Composes the subgraphs listed in the config into a Federation 2 supergraph and writes it.
Schemas come from each subgraph's schema.file, or from the running service (schema.subgraph_url).
Governance is checked at the same time: every field classified with @classified (or given
--default-classification, one of ${LEVELS.join(', ')}, as a warning), personal data with a
category, and an owner for every subgraph (owner.team and owner.contact in its descriptor, or
inline). On failure prints every problem (code, message, file:line) and exits 1; nothing is written.`;

export async function run(argv: string[]): Promise<number> {
  const { values } = parseFlags(
    argv,
    { config: { type: 'string' }, output: { type: 'string' }, 'default-classification': { type: 'string' } },
    'compose',
  );
  const defaultClassification = values['default-classification'];
  if (defaultClassification !== undefined && !isLevel(defaultClassification)) {
    throw new UsageError(`--default-classification must be one of ${LEVELS.join(', ')}, got "${defaultClassification}"`);
  }
  const config = loadConfig(values.config ?? DEFAULT_CONFIG_FILE);
  const result = composeSupergraph(await loadSubgraphSchemas(config.subgraphs), { defaultClassification: defaultClassification as Level | undefined });
  if (!result.ok) {
    process.stderr.write(`${result.code}: ${result.problems.length} problem(s) composing ${config.source}:\n${formatProblems(result.problems)}\n`);
    return 1;
  }
  for (const warning of result.warnings) process.stderr.write(`warning: ${warning.code}: ${warning.message}\n`);
  const output = values.output ?? 'supergraph.graphql';
  fs.writeFileSync(output, result.supergraphSdl);
  process.stdout.write(`composed ${config.subgraphs.length} subgraphs (${config.subgraphs.map((s) => s.name).join(', ')}) into ${output}\n`);
  return 0;
}
