import type { Level } from '../../shared/classification';
import { MeshgateError } from '../../shared/errors';
import { clientsOfFields, type ClientUse } from '../audit/queries';
import type { AuditStore } from '../audit/store';
import { composeSupergraph, loadSubgraphSchemas, type CompositionProblem } from '../compose';
import type { MeshgateConfig } from '../config';
import { composeApiSchema } from './api-schema';
import { schemaChanges, type SchemaChange } from './breaking-changes';
import { loweredClassifications, type LoweredClassification } from './lowering';

export interface SchemaCheckInput {
  config: MeshgateConfig;
  /** The subgraph whose schema is proposed. */
  subgraph: string;
  proposedSdl: string;
  /** Where the proposed SDL came from, for messages. */
  proposedOrigin: string;
  /** Fields whose classification may be lowered (`--allow-lowering`). */
  allowLowering: ReadonlySet<string>;
  /** The policy's default classification, as the gateway composes with it. */
  defaultClassification?: Level;
  /** Usage counts from this date on. */
  since: Date;
  /** Opens the audit store; called only when a breaking change needs its usage. */
  openStore: () => Promise<AuditStore>;
}

/** A change with who used what it touches: a BREAKING change with users blocks. */
export interface CheckedChange extends SchemaChange {
  clients: ClientUse[];
  blocking: boolean;
}

/** What `meshgate check` reports, also its `--json` output. */
export interface SchemaCheckReport {
  subgraph: string;
  schema: string;
  safe: boolean;
  /** One line per reason the change is unsafe; empty when safe. */
  reasons: string[];
  composition: { ok: boolean; code?: string; problems: CompositionProblem[] };
  lowered: LoweredClassification[];
  changes: CheckedChange[];
  usage: { since: string; consulted: boolean };
}

/**
 * Checks a proposed schema for one subgraph of the config against what runs today: it composes
 * with the others and passes governance, lowers no classification without an override, and
 * breaks nothing a client used since `since` (breaking changes to unused fields are fine).
 * Throws CONFIG_INVALID when the subgraph is unknown or today's subgraphs do not compose.
 */
export async function checkSubgraphSchema(input: SchemaCheckInput): Promise<SchemaCheckReport> {
  const { config, subgraph } = input;
  if (!config.subgraphs.some((s) => s.name === subgraph)) {
    throw new MeshgateError('CONFIG_INVALID', `${config.source} has no subgraph "${subgraph}" (it has ${config.subgraphs.map((s) => s.name).join(', ')})`);
  }
  const current = await loadSubgraphSchemas(config.subgraphs);
  const mine = current.find((s) => s.name === subgraph)!;
  const proposed = current.map((s) => (s === mine ? { ...s, sdl: input.proposedSdl, origin: input.proposedOrigin } : s));

  const baseline = composeApiSchema(current);
  if (!baseline.ok) {
    throw new MeshgateError('CONFIG_INVALID', `the current subgraphs of ${config.source} do not compose, so there is nothing to compare with: ${baseline.problems[0].message}`);
  }
  const governed = composeSupergraph(proposed, { defaultClassification: input.defaultClassification });
  const composition = governed.ok ? { ok: true, problems: [] } : { ok: false, code: governed.code, problems: governed.problems };
  const lowered = loweredClassifications(mine.sdl, input.proposedSdl, input.allowLowering, input.defaultClassification);

  const next = composeApiSchema(proposed);
  const changes: CheckedChange[] = [];
  let consulted = false;
  if (next.ok) {
    const found = await schemaChanges(baseline.schema, next.schema);
    const breaking = found.filter((c) => c.criticality === 'BREAKING' && c.coordinates.length);
    const store = breaking.length ? await input.openStore() : undefined;
    consulted = Boolean(store);
    try {
      for (const change of found) {
        const clients = store && change.criticality === 'BREAKING' ? await clientsOfFields(store, change.coordinates, input.since) : [];
        changes.push({ ...change, clients, blocking: clients.length > 0 });
      }
    } finally {
      await store?.close();
    }
  }

  const reasons = [
    ...(composition.ok ? [] : [`${composition.code}: ${composition.problems.length} problem(s) composing with the other subgraphs`]),
    ...lowered.filter((l) => !l.allowed).map((l) => `${l.coordinate}: classification lowered from ${label(l.from)} to ${label(l.to)} (allow with --allow-lowering ${l.coordinate})`),
    ...changes.filter((c) => c.blocking).map((c) => `${c.message}: used by ${c.clients.map((u) => clientName(u.client)).join(', ')}`),
  ];
  return {
    subgraph,
    schema: input.proposedOrigin,
    safe: reasons.length === 0,
    reasons,
    composition,
    lowered,
    changes,
    usage: { since: input.since.toISOString(), consulted },
  };
}

export const label = (c: { level: string; category?: string }) => (c.category ? `${c.level}/${c.category}` : c.level);
export const clientName = (client: string | null) => client ?? '(unnamed client)';
