import YAML, { isMap } from 'yaml';
import { MeshgateError } from '../../shared/errors';
import type { DomainNames } from './names';

/**
 * subgraphs/index.ts with the new domain imported and listed in `domains`. Edited as text so the
 * file keeps its hand-written form; an unexpected shape is refused rather than guessed at.
 */
export function registerInIndex(source: string, n: DomainNames): string {
  const imports = [...source.matchAll(/^import \{ \w+ \} from '\.\/[\w-]+';\n/gm)];
  const list = /(export const domains: Record<string, Domain> = \{\n(?:.*\n)*?)(\};)/.exec(source);
  if (!imports.length || !list) {
    throw new MeshgateError('CONFIG_INVALID', 'subgraphs/index.ts does not have the expected shape (domain imports and `export const domains = { … }`); register the domain by hand');
  }
  const last = imports[imports.length - 1];
  const importLine = `import { ${n.camel} } from './${n.domain}';\n`;
  const entry = n.camel === n.domain ? `  ${n.camel},\n` : `  '${n.domain}': ${n.camel},\n`;
  const withEntry = source.slice(0, list.index) + list[1] + entry + list[2] + source.slice(list.index + list[0].length);
  const at = last.index! + last[0].length;
  return withEntry.slice(0, at) + importLine + withEntry.slice(at);
}

/** supergraph.yaml with the new subgraph's routing URL, schema file and descriptor; comments and order kept. */
export function registerInConfig(source: string, n: DomainNames, port: number): string {
  const doc = YAML.parseDocument(source);
  if (doc.errors.length || !isMap(doc.get('subgraphs'))) {
    throw new MeshgateError('CONFIG_INVALID', 'supergraph.yaml has no `subgraphs` mapping to add the domain to');
  }
  const folder = `./subgraphs/${n.domain}`;
  doc.setIn(
    ['subgraphs', n.domain],
    doc.createNode({ routing_url: `http://127.0.0.1:${port}/graphql`, schema: { file: `${folder}/schema.graphql` }, descriptor: `${folder}/data-product.yaml` }),
  );
  return doc.toString();
}
