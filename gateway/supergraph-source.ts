import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { DESCRIPTOR_FILE, introspectSubgraph } from './compose';
import type { SubgraphConfig } from './config';

/**
 * Where a gateway's supergraph comes from, for hot reload: a cheap fingerprint of its inputs,
 * polled, and the (expensive) build that runs only when the fingerprint changes.
 */
export interface SupergraphSource {
  /** What is watched, for log lines: the config or the supergraph file. */
  name: string;
  /** A hash of everything the supergraph is built from; a different value means it may have changed. */
  fingerprint(): Promise<string>;
  /** Builds and checks the supergraph (composition, governance); throws a MeshgateError naming every problem when it cannot be served. */
  build(): Promise<string>;
}

/**
 * A file's content for the fingerprint. An unreadable file is part of the state, not an error
 * here: `build` reads it too and reports the failure with its code.
 */
function fileState(file: string): string {
  try {
    return createHash('sha256').update(fs.readFileSync(file)).digest('hex');
  } catch (err) {
    return `unreadable:${(err as { code?: string }).code ?? 'error'}`;
  }
}

/** A config's subgraphs: their schema files (or running services' SDL) and descriptors. */
export function configSupergraphSource(name: string, subgraphs: SubgraphConfig[], build: () => Promise<string>): SupergraphSource {
  return {
    name,
    build,
    async fingerprint() {
      const hash = createHash('sha256');
      for (const s of subgraphs) {
        const sdl = 'file' in s.schema ? fileState(s.schema.file) : await introspectSubgraph(s.name, s.schema.subgraphUrl);
        const descriptor = s.descriptor ?? ('file' in s.schema ? path.join(path.dirname(s.schema.file), DESCRIPTOR_FILE) : undefined);
        hash.update(`${s.name}\0${s.routingUrl}\0${sdl}\0${descriptor ? fileState(descriptor) : '-'}\0`);
      }
      return hash.digest('hex');
    },
  };
}

/** A composed supergraph file (`meshgate gateway --supergraph`). */
export function fileSupergraphSource(file: string, build: () => Promise<string>): SupergraphSource {
  return { name: file, build, fingerprint: async () => fileState(file) };
}
