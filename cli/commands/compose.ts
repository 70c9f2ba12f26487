import fs from 'node:fs';
import { composeSupergraph, formatProblems, loadSubgraphSchemas } from '../../gateway/compose';
import { DEFAULT_CONFIG_FILE, loadConfig } from '../../gateway/config';
import { parseFlags } from '../args';

export const help = `meshgate compose [--config supergraph.yaml] [--output supergraph.graphql]

Composes the subgraphs listed in the config into a Federation 2 supergraph and writes it.
Schemas come from each subgraph's schema.file, or from the running service (schema.subgraph_url).
On failure prints every problem (code, message, file:line) and exits 1; nothing is written.`;

export async function run(argv: string[]): Promise<number> {
  const { values } = parseFlags(argv, { config: { type: 'string' }, output: { type: 'string' } }, 'compose');
  const config = loadConfig(values.config ?? DEFAULT_CONFIG_FILE);
  const result = composeSupergraph(await loadSubgraphSchemas(config.subgraphs));
  if (!result.ok) {
    process.stderr.write(`COMPOSITION_FAILED: ${result.problems.length} problem(s) composing ${config.source}:\n${formatProblems(result.problems)}\n`);
    return 1;
  }
  const output = values.output ?? 'supergraph.graphql';
  fs.writeFileSync(output, result.supergraphSdl);
  process.stdout.write(`composed ${config.subgraphs.length} subgraphs (${config.subgraphs.map((s) => s.name).join(', ')}) into ${output}\n`);
  return 0;
}
