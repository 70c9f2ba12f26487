/**
 * Rounds an amount of money to whole cents, half a cent up. The cents are first cut to the 15
 * significant digits a double holds reliably, dropping float noise: SQLite's float arithmetic
 * gives 9736.074999999999 where PostgreSQL's exact numeric gives 9736.075, and both must round to
 * 9736.08. An amount without noise (every demo-data figure) rounds as `Math.round` alone would.
 */
export function roundCents(value: number): number {
  const cents = value * 100;
  // Cutting to 15 digits moves cents below 1e10 by under 5e-5: away from a half cent it cannot
  // change the rounding, so the costly toPrecision (2% of a subgraph's CPU) is skipped there.
  if (Math.abs(cents) < 1e10 && Math.abs(cents - Math.floor(cents) - 0.5) > 1e-4) return Math.round(cents) / 100;
  return Math.round(Number(cents.toPrecision(15))) / 100;
}
