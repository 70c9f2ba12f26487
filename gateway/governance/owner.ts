import fs from 'node:fs';
import path from 'node:path';
import YAML, { isMap, LineCounter } from 'yaml';

/** Who answers for a data product: a team and a way to reach it. */
export interface Owner {
  team: string;
  contact: string;
}

/** What the owner check needs of a subgraph: its name and where its owner is declared. */
export interface OwnedSubgraph {
  name: string;
  /** The domain's data-product descriptor file (`owner: { team, contact }` inside). */
  descriptor?: string;
  /** An owner given inline in the config, for subgraphs without a descriptor. */
  owner?: { team?: string; contact?: string };
}

export type OwnerLookup =
  | { ok: true; owner: Owner; source: 'inline' | 'descriptor' }
  | { ok: false; reason: string; location?: string };

const filled = (v: unknown): v is string => typeof v === 'string' && v.trim() !== '';

function shown(file: string): string {
  return path.relative(process.cwd(), file) || file;
}

/**
 * The owner of a subgraph: the inline owner when it names both team and contact, else the
 * descriptor's `owner.team` and `owner.contact`. Never throws: says why there is none.
 */
export function lookupOwner(subgraph: OwnedSubgraph): OwnerLookup {
  if (filled(subgraph.owner?.team) && filled(subgraph.owner?.contact)) {
    return { ok: true, owner: { team: subgraph.owner.team, contact: subgraph.owner.contact }, source: 'inline' };
  }
  const inline = subgraph.owner
    ? `its inline owner lacks ${[!filled(subgraph.owner.team) && 'team', !filled(subgraph.owner.contact) && 'contact'].filter(Boolean).join(' and ')}`
    : 'it has no inline owner';
  if (!subgraph.descriptor) return { ok: false, reason: `it has no descriptor (data-product.yaml) and ${inline}` };

  const file = shown(subgraph.descriptor);
  let text: string;
  try {
    text = fs.readFileSync(subgraph.descriptor, 'utf8');
  } catch (err) {
    const code = (err as { code?: string }).code ?? (err as Error).message;
    return { ok: false, reason: `its descriptor ${file} cannot be read (${code}) and ${inline}`, location: file };
  }
  const lines = new LineCounter();
  const doc = YAML.parseDocument(text, { lineCounter: lines });
  if (doc.errors.length) {
    const { line, col } = lines.linePos(doc.errors[0].pos[0]);
    return { ok: false, reason: `its descriptor ${file} is not valid YAML (${doc.errors[0].message.split('\n')[0]}) and ${inline}`, location: `${file}:${line}:${col}` };
  }
  const ownerNode = isMap(doc.contents) ? doc.contents.get('owner', true) : undefined;
  const owner = (doc.toJS() as { owner?: { team?: unknown; contact?: unknown } } | null)?.owner;
  const where = (node: unknown) => {
    const range = (node as { range?: [number, number, number] } | undefined)?.range;
    if (!range) return file;
    const { line, col } = lines.linePos(range[0]);
    return `${file}:${line}:${col}`;
  };
  if (owner && typeof owner === 'object' && filled(owner.team) && filled(owner.contact)) {
    return { ok: true, owner: { team: owner.team, contact: owner.contact }, source: 'descriptor' };
  }
  const lacking =
    owner && typeof owner === 'object'
      ? `owner.${[!filled(owner.team) && 'team', !filled(owner.contact) && 'contact'].filter(Boolean).join(' and owner.')}`
      : 'an owner (owner.team and owner.contact)';
  return { ok: false, reason: `its descriptor ${file} lacks ${lacking} and ${inline}`, location: ownerNode ? where(ownerNode) : file };
}
