/**
 * Rounds an amount of money to whole cents, half a cent up. The cents are first cut to the 15
 * significant digits a double holds reliably, dropping float noise: SQLite's float arithmetic
 * gives 9736.074999999999 where PostgreSQL's exact numeric gives 9736.075, and both must round to
 * 9736.08. An amount without noise (every demo-data figure) rounds as `Math.round` alone would.
 */
export function roundCents(value: number): number {
  return Math.round(Number((value * 100).toPrecision(15))) / 100;
}
