import { parse } from 'graphql';
import { levelRank, type Classification } from '../../shared/classification';
import { readClassifications } from '../governance/classification-map';

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
 * Fields of one subgraph whose classification the proposed schema lowers, by `Type.field`.
 * Removed and newly added fields are not lowerings (removals are breaking changes, new fields
 * are governed like any other). Unparseable SDL is composition's to report: nothing here.
 */
export function loweredClassifications(currentSdl: string, proposedSdl: string, allowed: ReadonlySet<string>): LoweredClassification[] {
  let current: Map<string, Classification>;
  let proposed: Map<string, Classification>;
  try {
    current = readClassifications(parse(currentSdl));
    proposed = readClassifications(parse(proposedSdl));
  } catch {
    return [];
  }
  const lowered: LoweredClassification[] = [];
  for (const [coordinate, from] of current) {
    const to = proposed.get(coordinate);
    if (to && isLowered(from, to)) lowered.push({ coordinate, from, to, allowed: allowed.has(coordinate) });
  }
  return lowered.sort((a, b) => a.coordinate.localeCompare(b.coordinate));
}
