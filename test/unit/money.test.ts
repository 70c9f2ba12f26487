import { describe, expect, it } from 'vitest';
import { roundCents } from '../../shared/money';

describe('roundCents', () => {
  it('rounds half a cent up, also where float arithmetic lands just below the half', () => {
    expect(roundCents(1.005)).toBe(1.01); // 1.005 * 100 is 100.49999999999999
    expect(roundCents(9736.074999999999)).toBe(9736.08); // SQLite's sum of Northwind's MAISD orders
    expect(roundCents(9736.075)).toBe(9736.08); // PostgreSQL's exact numeric
    expect(roundCents(1 * 10.05 * (1 - 0.1))).toBe(9.05); // 9.044999999999998
    expect(roundCents(0.125)).toBe(0.13);
  });

  it('leaves whole cents and clear roundings alone', () => {
    expect(roundCents(0)).toBe(0);
    expect(roundCents(92.61)).toBe(92.61);
    expect(roundCents(12.344)).toBe(12.34);
    expect(roundCents(12.346)).toBe(12.35);
    expect(roundCents(123456789.994)).toBe(123456789.99);
  });

  it('rounds a value without float noise as Math.round does (demo data stays the same)', () => {
    // Demo freights are 3 + k/2^32 · 60 · lines / parcels: exact doubles, never within noise of a half cent unless on it.
    const changed: number[] = [];
    for (let k = 0; k < 200_000; k++) {
      const u = ((k * 2_654_435_761) >>> 0) / 2 ** 32;
      for (const value of [3 + u * 60, 3 + (u * 60 * 5) / 2, 2 + u * u * 120]) {
        if (roundCents(value) !== Math.round(value * 100) / 100) changed.push(value);
      }
    }
    expect(changed).toEqual([]);
    // A demo-style freight half a millionth of a cent below the half: no noise, so it rounds down
    // (cutting the cents to 6 decimals instead would round it up and change the demo data).
    expect(roundCents(24.874999995343387)).toBe(24.87);
  });

  it('gives what the 15-digit rule alone gives, on 200,000 values of every magnitude, half cents and noise included', () => {
    const rule = (value: number) => Math.round(Number((value * 100).toPrecision(15))) / 100;
    const differ: number[] = [];
    let seed = 7;
    const random = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
    for (let i = 0; i < 200_000; i++) {
      const magnitude = 10 ** Math.floor(random() * 12);
      const half = (Math.floor(random() * magnitude * 100) + 0.5) / 100; // on a half cent
      for (const value of [random() * magnitude, half, half + 1e-9, half - 1e-9, -half, half * (1 - 0.1)]) {
        if (roundCents(value) !== rule(value)) differ.push(value);
      }
    }
    expect(differ).toEqual([]);
  });
});
