import { describe, expect, it } from 'vitest';
import { decodeCursor, encodeCursor, type CursorValueType } from '../../shared/pagination';

const refused = (values: unknown, types: CursorValueType[]) => {
  try {
    decodeCursor(encodeCursor(values as (string | number)[]), types);
    return null;
  } catch (err: any) {
    return { code: err.extensions.code, argumentName: err.extensions.argumentName, message: err.message };
  }
};

describe('decodeCursor', () => {
  it('returns the keyset values of a cursor whose values fit their types', () => {
    const values = ['2024-01-01T14:00:00.000Z', 'SHP-1-1'];
    expect(decodeCursor(encodeCursor(values), ['timestamp', 'string'])).toEqual(values);
    expect(decodeCursor(encodeCursor([12.5, 3]), ['number', 'integer'])).toEqual([12.5, 3]);
    expect(decodeCursor(encodeCursor(['2024-02-29', 2_147_483_647]), ['date', 'integer'])).toEqual(['2024-02-29', 2_147_483_647]);
  });

  it.each([
    [['cheap', 1], ['number', 'integer']],
    [[12.5, 1], ['string', 'integer']],
    [[1, 1.5], ['integer', 'integer']],
    [[1, 2_147_483_648], ['integer', 'integer']],
    [['2024-02-30', 1], ['date', 'integer']],
    [['2024-01-01', 1], ['timestamp', 'integer']],
    [['2024-01-01T00:00:00Z', 1], ['date', 'integer']],
    [['a\u0000b', 'x'], ['string', 'string']],
    [[1], ['integer', 'integer']],
    [[1, 2, 3], ['integer', 'integer']],
    [{ id: 1 }, ['integer', 'integer']],
  ] as [unknown, CursorValueType[]][])('refuses %j as %j with BAD_USER_INPUT on `after`', (values, types) => {
    expect(refused(values, types)).toEqual({ code: 'BAD_USER_INPUT', argumentName: 'after', message: 'after is not a cursor returned by this field' });
  });

  it('refuses text that is not a cursor at all', () => {
    expect(() => decodeCursor('bm90LWEtY3Vyc29y', ['integer', 'integer'])).toThrow('after is not a cursor returned by this field');
    expect(() => decodeCursor(Buffer.from('[1e999, 1]').toString('base64url'), ['number', 'integer'])).toThrow('after is not a cursor');
  });
});
