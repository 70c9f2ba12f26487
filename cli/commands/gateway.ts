import fs from 'node:fs';
import { composeFromConfig } from '../../gateway/compose';
import { DEFAULT_CONFIG_FILE, loadConfig } from '../../gateway/config';
import { probeSubgraphs } from '../../gateway/health';
import { createGateway, type MeshgateGateway } from '../../gateway/server';
import { MeshgateError } from '../../shared/errors';
import type { Logger } from '../../shared/logger';
import { parseFlags, portFlag, UsageError } from '../args';

export const help = `meshgate gateway [--supergraph FILE | --config supergraph.yaml] [--port 4000] [--host 127.0.0.1]

Serves any Federation 2 supergraph: from a composed file (--supergraph), or composed at start-up
from a subgraph config (--config, the default). PORT and HOST environment variables also apply;
SUBGRAPH_<NAME>_URL overrides a subgraph's routing URL.`;

/** Loads the supergraph from a file, or composes it from a config. */
export async function loadSupergraph(flags: { supergraph?: string; config?: string }): Promise<string> {
  if (flags.supergraph && flags.config) throw new UsageError('give either --supergraph or --config, not both');
  if (flags.supergraph) {
    try {
      return fs.readFileSync(flags.supergraph, 'utf8');
    } catch {
      throw new MeshgateError('CONFIG_INVALID', `cannot read supergraph file ${flags.supergraph}`);
    }
  }
  return composeFromConfig(loadConfig(flags.config ?? DEFAULT_CONFIG_FILE).subgraphs);
}

/** Starts a gateway, then says which subgraphs do not answer yet: by name, not with a stack trace. */
export async function startGateway(
  supergraphSdl: string,
  port: number,
  host: string,
  routingUrls?: Record<string, string>,
  logger?: Logger,
): Promise<{ gateway: MeshgateGateway; url: string }> {
  const gateway = await createGateway({ supergraphSdl, routingUrls, logger });
  const url = await gateway.listen(port, host);
  for (const health of await probeSubgraphs(gateway.subgraphs)) {
    if (!health.up) {
      const subgraph = gateway.subgraphs.find((s) => s.name === health.name)!;
      process.stderr.write(
        `warning: subgraph "${health.name}" at ${subgraph.url} is not answering (${health.reason}); ` +
          `its fields return errors until it does. GET ${url}/health shows readiness.\n`,
      );
    }
  }
  return { gateway, url };
}

export async function run(argv: string[]): Promise<number> {
  const { values } = parseFlags(argv, { supergraph: { type: 'string' }, config: { type: 'string' }, port: { type: 'string' }, host: { type: 'string' } }, 'gateway');
  const supergraphSdl = await loadSupergraph(values);
  const port = portFlag(values.port ?? process.env.PORT, 4000);
  const { gateway, url } = await startGateway(supergraphSdl, port, values.host ?? process.env.HOST ?? '127.0.0.1');
  process.stdout.write(`Meshgate gateway serving ${gateway.subgraphs.length} subgraphs at ${url}/graphql\n`);
  await new Promise<void>((resolve) => {
    const stop = () => void gateway.stop().then(resolve);
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  });
  return 0;
}
