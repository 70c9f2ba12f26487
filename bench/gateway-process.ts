// The gateway under benchmark, alone in its process: composes the supergraph from the subgraphs'
// schema files with the URLs they actually bound (BENCH_SUBGRAPHS, JSON), listens on 127.0.0.1
// port 0 and logs its URL as a JSON line when ready. SIGTERM or SIGINT stops it.
// With BENCH_GOVERNANCE (JSON: the config's `meshgate:` section) it serves the full governance
// pipeline (gateway/pipeline.ts) built from those settings; without it, none (ungoverned).
import path from 'node:path';
import { composeSupergraph, formatProblems, loadSubgraphSchemas } from '../gateway/compose';
import { createPipeline } from '../gateway/pipeline';
import { createGateway } from '../gateway/server';
import { createLogger } from '../shared/logger';

export interface BenchSubgraph {
  name: string;
  routingUrl: string;
  schemaFile: string;
}

async function main(): Promise<void> {
  const logger = createLogger('gateway');
  const subgraphs: BenchSubgraph[] = JSON.parse(process.env.BENCH_SUBGRAPHS ?? '[]');
  const schemas = await loadSubgraphSchemas(subgraphs.map((s) => ({ name: s.name, routingUrl: s.routingUrl, schema: { file: s.schemaFile } })));
  const composed = composeSupergraph(schemas);
  if (!composed.ok) throw new Error(`composition failed:\n${formatProblems(composed.problems)}`);
  const governance = process.env.BENCH_GOVERNANCE;
  const plugins = governance ? createPipeline({ settings: JSON.parse(governance), baseDir: path.join(__dirname, '..'), logger }).plugins : [];
  const gateway = await createGateway({ supergraphSdl: composed.supergraphSdl, plugins, logger });
  const url = await gateway.listen(0, '127.0.0.1');
  const stop = () => void gateway.stop().finally(() => process.exit(0));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  logger.info({ url: `${url}/graphql` }, `gateway ready at ${url}/graphql`);
}

main().catch((err) => {
  process.stderr.write(`gateway failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
