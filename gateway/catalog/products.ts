import path from 'node:path';
import type { Domain } from '../../shared/domain';
import { readDataProduct } from '../governance/descriptor';
import type { DataProductInfo } from './model';

/**
 * The products of subgraphs that name a descriptor (the config's `descriptor:`), keyed by the
 * subgraph they are composed as. Composition has already refused incomplete descriptors.
 */
export function productsOfSubgraphs(subgraphs: { name: string; descriptor?: string }[]): DataProductInfo[] {
  return subgraphs.flatMap((s) => (s.descriptor ? [{ ...readDataProduct(s.descriptor), name: s.name }] : []));
}

/** The products of the demo domains, from the data-product.yaml beside each schema. */
export function productsOfDomains(domains: Pick<Domain, 'name' | 'schemaFile'>[]): DataProductInfo[] {
  return productsOfSubgraphs(domains.map((d) => ({ name: d.name, descriptor: path.join(path.dirname(d.schemaFile), 'data-product.yaml') })));
}
