// The baseline gateway: plain `@apollo/gateway` in `@apollo/server`'s standalone server, every
// setting at its default (default fetcher, no plugins), on the supergraph file the benchmark
// composed (BENCH_SUPERGRAPH_FILE). Listens on 127.0.0.1 port 0 and logs its URL as a JSON line
// when ready; SIGTERM or SIGINT stops it.
import fs from 'node:fs';
import { ApolloGateway } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';

async function main(): Promise<void> {
  const supergraphSdl = fs.readFileSync(process.env.BENCH_SUPERGRAPH_FILE ?? '', 'utf8');
  const server = new ApolloServer({ gateway: new ApolloGateway({ supergraphSdl }) });
  const { url } = await startStandaloneServer(server, { listen: { port: 0, host: '127.0.0.1' } });
  const stop = () => void server.stop().finally(() => process.exit(0));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  // The standalone server answers GraphQL at every path; /graphql keeps the URL alike for all gateways.
  process.stdout.write(`${JSON.stringify({ url: new URL('graphql', url).href })}\n`);
}

main().catch((err) => {
  process.stderr.write(`bare gateway failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
