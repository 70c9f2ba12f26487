import fs from 'node:fs';
import path from 'node:path';
import { DEFAULT_CONFIG_FILE, loadConfig } from '../../gateway/config';
import { MeshgateError } from '../../shared/errors';
import { domains } from '../../subgraphs';
import { parseFlags, portFlag, UsageError } from '../args';
import { domainFiles } from '../scaffold/domain-files';
import { domainNames } from '../scaffold/names';
import { nextFreePort, portInUse } from '../scaffold/ports';
import { registerInConfig, registerInIndex } from '../scaffold/register';

export const help = `meshgate new-domain <name> [--port N] [--owner-team T --owner-contact C] [--config supergraph.yaml]

Scaffolds a working domain subgraph in subgraphs/<name>/ (kebab-case name): a classified and
documented schema with one entity (@key), its paginated list and a by-id query; data-product.yaml;
a knex migration; deterministic demo seed; data access, batched DataLoaders, resolvers; index.ts,
main.ts and its own tests. Registers it in subgraphs/index.ts and in the config (routing_url on
--port, default the next free one after the other domains'). Refuses an invalid name, an existing
domain or a taken port, writing nothing.`;

const REGISTRY = path.join('subgraphs', 'index.ts');

/** Ports the other domains use: their default ports and the ports of the config's routing URLs. */
function portsInUse(routingUrls: string[]): Set<number> {
  const ports = new Set(Object.values(domains).map((d) => d.defaultPort));
  for (const url of routingUrls) {
    const port = Number(new URL(url).port);
    if (port) ports.add(port);
  }
  return ports;
}

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseFlags(
    argv,
    { port: { type: 'string' }, 'owner-team': { type: 'string' }, 'owner-contact': { type: 'string' }, config: { type: 'string' } },
    'new-domain',
  );
  if (positionals.length !== 1) throw new UsageError('give exactly one domain name, e.g. `meshgate new-domain loyalty-program`');
  const names = domainNames(positionals[0]);
  const configFile = values.config ?? DEFAULT_CONFIG_FILE;
  if (!fs.existsSync(REGISTRY)) throw new MeshgateError('CONFIG_INVALID', `no ${REGISTRY} here: run meshgate new-domain from the repository root`);
  const config = loadConfig(configFile);
  const folder = path.join('subgraphs', names.domain);

  // Everything is checked before anything is written: a refusal leaves the repository as it was.
  const where = [
    fs.existsSync(folder) && `folder ${folder}`,
    Object.hasOwn(domains, names.domain) && REGISTRY,
    config.subgraphs.some((s) => s.name === names.domain) && configFile,
  ].filter(Boolean);
  if (where.length) throw new MeshgateError('DOMAIN_EXISTS', `domain "${names.domain}" already exists (${where.join(', ')})`);

  const taken = portsInUse(config.subgraphs.map((s) => s.routingUrl));
  const port = values.port === undefined ? await nextFreePort(taken) : portFlag(values.port, 0);
  if (port === 0) throw new UsageError('--port must be a fixed port (1..65535): it becomes the routing_url and the default port');
  if (taken.has(port)) throw new MeshgateError('PORT_TAKEN', `port ${port} is used by another domain (${REGISTRY} or ${configFile}); choose another with --port`);
  if (await portInUse(port)) throw new MeshgateError('PORT_TAKEN', `port ${port} is in use on this machine; choose another with --port`);

  const owner = { team: values['owner-team'] ?? `${names.title} team`, contact: values['owner-contact'] ?? `${names.domain}-team@meshgate.example` };
  const files = domainFiles(names, { port, owner });
  const registry = registerInIndex(fs.readFileSync(REGISTRY, 'utf8'), names);
  const configText = registerInConfig(fs.readFileSync(configFile, 'utf8'), names, port);

  for (const [file, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(folder, file)), { recursive: true });
    fs.writeFileSync(path.join(folder, file), text, { flag: 'wx' });
  }
  fs.writeFileSync(REGISTRY, registry);
  fs.writeFileSync(configFile, configText);

  process.stdout.write(
    `created ${folder}/ (${Object.keys(files).length} files) and registered "${names.domain}" on port ${port} in ${REGISTRY} and ${configFile}\n` +
      (values['owner-team'] ? '' : `owner is a placeholder: set owner.team and owner.contact in ${folder}/data-product.yaml\n`) +
      `next: meshgate compose, npx vitest run ${folder}, meshgate subgraph ${names.domain}\n`,
  );
  return 0;
}
