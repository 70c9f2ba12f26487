import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import type { Domain } from '../../shared/domain';
import { MeshgateError } from '../../shared/errors';
import type { DataProductInfo } from './model';

/** The catalog's view of one data-product.yaml; composition has already refused incomplete ones. */
export function readProductInfo(file: string, subgraphName: string): DataProductInfo {
  let doc: any;
  try {
    doc = parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    throw new MeshgateError('CONFIG_INVALID', `cannot read the data-product descriptor ${file}: ${(err as Error).message.split('\n')[0]}`);
  }
  return {
    // The catalog keys products by the subgraph they are composed as.
    name: subgraphName,
    title: typeof doc?.title === 'string' ? doc.title : undefined,
    description: String(doc?.description ?? '').trim(),
    version: String(doc?.version ?? ''),
    owner: { team: String(doc?.owner?.team ?? ''), contact: String(doc?.owner?.contact ?? '') },
    serviceLevels: { freshness: doc?.serviceLevels?.freshness, availability: doc?.serviceLevels?.availability },
    tags: Array.isArray(doc?.tags) ? doc.tags.map(String) : [],
  };
}

/** The products of subgraphs that name a descriptor (the config's `descriptor:`). */
export function productsOfSubgraphs(subgraphs: { name: string; descriptor?: string }[]): DataProductInfo[] {
  return subgraphs.flatMap((s) => (s.descriptor ? [readProductInfo(s.descriptor, s.name)] : []));
}

/** The products of the demo domains, from the data-product.yaml beside each schema. */
export function productsOfDomains(domains: Pick<Domain, 'name' | 'schemaFile'>[]): DataProductInfo[] {
  return productsOfSubgraphs(domains.map((d) => ({ name: d.name, descriptor: path.join(path.dirname(d.schemaFile), 'data-product.yaml') })));
}
