import { inspectDataProduct, type Owner } from './descriptor';

export type { Owner } from './descriptor';

/** What the owner check needs of a subgraph: its name and where its owner is declared. */
export interface OwnedSubgraph {
  name: string;
  /** The domain's data-product descriptor file (`owner: { team, contact }` inside). */
  descriptor?: string;
  /** An owner given inline in the config: stands in for the descriptor's `owner` keys. */
  owner?: { team?: string; contact?: string };
}

export type OwnerLookup =
  | { ok: true; owner: Owner; source: 'inline' | 'descriptor' }
  | { ok: false; reason: string; location?: string };

const filled = (v: unknown): v is string => typeof v === 'string' && v.trim() !== '';

/**
 * The owner of a subgraph: the inline owner when it names both team and contact, else the
 * descriptor's `owner.team` and `owner.contact` (read by the one descriptor reader). Never
 * throws: says why there is none.
 */
export function lookupOwner(subgraph: OwnedSubgraph): OwnerLookup {
  if (filled(subgraph.owner?.team) && filled(subgraph.owner?.contact)) {
    return { ok: true, owner: { team: subgraph.owner.team, contact: subgraph.owner.contact }, source: 'inline' };
  }
  const inline = subgraph.owner
    ? `its inline owner lacks ${[!filled(subgraph.owner.team) && 'team', !filled(subgraph.owner.contact) && 'contact'].filter(Boolean).join(' and ')}`
    : 'it has no inline owner';
  if (!subgraph.descriptor) return { ok: false, reason: `it has no descriptor (data-product.yaml) and ${inline}` };

  const read = inspectDataProduct(subgraph.descriptor);
  if (!read.readable) return { ok: false, reason: `its descriptor ${read.file} ${read.reason} and ${inline}`, location: read.location };
  if (read.owner) return { ok: true, owner: read.owner, source: 'descriptor' };
  const gaps = read.problems.filter((p) => p.key === 'owner' || p.key.startsWith('owner.'));
  const lacking = gaps.some((p) => p.key === 'owner') ? 'an owner (owner.team and owner.contact)' : gaps.map((p) => p.key).join(' and ');
  return { ok: false, reason: `its descriptor ${read.file} lacks ${lacking} and ${inline}`, location: gaps[0]?.location ?? read.file };
}
