import { MeshgateError } from '../shared/errors';

export interface SubgraphTimeouts {
  /** Every subgraph's deadline unless it has its own (undefined: the gateway's default, 30 s). */
  timeoutMs?: number;
  /** Deadlines of particular subgraphs, by name. */
  bySubgraph: Record<string, number>;
}

const invalid = (message: string): never => {
  throw new MeshgateError('CONFIG_INVALID', `meshgate.subgraphs: ${message}`);
};

function checkTimeout(where: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > 600_000) invalid(`${where} must be a whole number of milliseconds from 1 to 600000, got ${JSON.stringify(value)}`);
  return value as number;
}

/**
 * Reads `meshgate.subgraphs` from the config: `timeoutMs` for every subgraph, and a mapping per
 * subgraph name for its own (`sales: { timeoutMs: 2000 }`). An unknown name is an error: a typo
 * would otherwise silently leave the default in place.
 */
export function subgraphTimeouts(section: unknown, subgraphNames: readonly string[]): SubgraphTimeouts {
  if (section === undefined || section === null) return { bySubgraph: {} };
  if (typeof section !== 'object' || Array.isArray(section)) return invalid('must be a mapping (timeoutMs, or a subgraph name with its own timeoutMs)');
  const out: SubgraphTimeouts = { bySubgraph: {} };
  for (const [key, value] of Object.entries(section as Record<string, unknown>)) {
    if (key === 'timeoutMs') {
      out.timeoutMs = checkTimeout('timeoutMs', value);
      continue;
    }
    if (!subgraphNames.includes(key)) invalid(`"${key}" is neither timeoutMs nor a subgraph (${subgraphNames.join(', ')})`);
    if (!value || typeof value !== 'object' || Array.isArray(value)) invalid(`${key} must be a mapping with timeoutMs`);
    for (const setting of Object.keys(value as object)) if (setting !== 'timeoutMs') invalid(`${key}.${setting} is not a setting (timeoutMs)`);
    out.bySubgraph[key] = checkTimeout(`${key}.timeoutMs`, (value as Record<string, unknown>).timeoutMs);
  }
  return out;
}
