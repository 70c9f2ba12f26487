import { parse } from 'graphql';
import { levelRank, type Classification, type Level } from '../../shared/classification';
import { scanSupergraph } from '../governance/classification-map';

/** A field whose proposed classification is weaker than its current one. */
export interface LoweredClassification {
  coordinate: string;
  from: Classification;
  to: Classification;
  /** Whether `--allow-lowering` names it. */
  allowed: boolean;
}

/** Lower level, or personal data no longer marked as such (it would stop being masked). */
function isLowered(from: Classification, to: Classification): boolean {
  return levelRank(to.level) < levelRank(from.level) || (Boolean(from.category) && !to.category);
}

/**
 * Every field of a subgraph SDL with the classification the gateway would serve it with: its own
 * or its type's `@classified`, else the policy default; undefined when neither applies.
 */
function servedClassifications(sdl: string, defaultClassification: Level | undefined): Map<string, Classification | undefined> {
  const fallback = defaultClassification ? { level: defaultClassification } : undefined;
  return new Map(scanSupergraph(parse(sdl)).fields.map((f) => [f.coordinate, f.classification ?? fallback]));
}

/**
 * Fields of one subgraph whose classification the proposed schema lowers, by `Type.field`.
 * A field left without `@classified` counts as the policy's `defaultClassification`, as the
 * gateway serves it: deleting a field's CONFIDENTIAL drops it to that default. Removed and newly
 * added fields are not lowerings (removals are breaking changes, new fields are governed like any
 * other); without a default an unclassified field is governance's to refuse. Unparseable SDL is
 * composition's to report: nothing here.
 */
export function loweredClassifications(
  currentSdl: string,
  proposedSdl: string,
  allowed: ReadonlySet<string>,
  defaultClassification?: Level,
): LoweredClassification[] {
  let current: Map<string, Classification | undefined>;
  let proposed: Map<string, Classification | undefined>;
  try {
    current = servedClassifications(currentSdl, defaultClassification);
    proposed = servedClassifications(proposedSdl, defaultClassification);
  } catch {
    return [];
  }
  const lowered: LoweredClassification[] = [];
  for (const [coordinate, from] of current) {
    const to = proposed.get(coordinate);
    if (from && to && isLowered(from, to)) lowered.push({ coordinate, from, to, allowed: allowed.has(coordinate) });
  }
  return lowered.sort((a, b) => a.coordinate.localeCompare(b.coordinate));
}
