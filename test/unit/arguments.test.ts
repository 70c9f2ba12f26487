import { describe, expect, it } from 'vitest';
import {
  dateArgument, instantArgument, integerIdArgument, integerKey, isIsoTimestamp, periodArgument,
} from '../../shared/arguments';

/** The GraphQL error an argument check throws, as `{ code, argumentName, message }`. */
function refusal(check: () => unknown) {
  try {
    check();
  } catch (err: any) {
    return { code: err.extensions?.code, argumentName: err.extensions?.argumentName, message: err.message };
  }
  throw new Error('expected the argument to be refused');
}

describe('dateArgument', () => {
  it('returns a real day as given, and undefined for an absent argument', () => {
    expect(dateArgument('2024-02-29', 'from')).toBe('2024-02-29');
    expect(dateArgument(null, 'from')).toBeUndefined();
    expect(dateArgument(undefined, 'from')).toBeUndefined();
  });

  it('refuses anything but a real day with BAD_USER_INPUT naming the argument', () => {
    for (const value of ['2024-02-30', '2023-02-29', '2024-13-01', '2024-1-5', 'yesterday', '2024-01-01T00:00:00Z', '0000-01-01', '']) {
      expect(refusal(() => dateArgument(value, 'filter.orderedFrom')), value).toEqual({
        code: 'BAD_USER_INPUT',
        argumentName: 'filter.orderedFrom',
        message: `filter.orderedFrom must be a date as YYYY-MM-DD, got "${value}"`,
      });
    }
  });

  it('reports another argument name when asked to', () => {
    expect(refusal(() => dateArgument('2024-02-30', 'filter.shippedFrom', { argumentName: 'filter' }))).toMatchObject({
      argumentName: 'filter',
      message: 'filter.shippedFrom must be a date as YYYY-MM-DD, got "2024-02-30"',
    });
  });
});

describe('instantArgument', () => {
  it('takes a day as its first or, ending a period, its last UTC millisecond', () => {
    expect(instantArgument('2024-03-01', 'from')).toBe('2024-03-01T00:00:00.000Z');
    expect(instantArgument('2024-03-01', 'to', { endOfDay: true })).toBe('2024-03-01T23:59:59.999Z');
  });

  it('takes an ISO 8601 timestamp with offset as the UTC instant', () => {
    expect(instantArgument('2024-03-01T00:00:00+01:00', 'from')).toBe('2024-02-29T23:00:00.000Z');
    expect(instantArgument('2024-03-01T10:30Z', 'from')).toBe('2024-03-01T10:30:00.000Z');
    expect(instantArgument('2024-03-01T10:30:15.123456-05:30', 'from')).toBe('2024-03-01T16:00:15.123Z');
    expect(instantArgument(null, 'from')).toBeUndefined();
  });

  const notInstants = ['2024-02-30', '2024-02-30T00:00:00Z', '2024-03-01T00:00:00', '2024-03-01T24:00:00Z', '2024-03-01T10:60Z', '2024-03-01T10:00:00+16:00', 'last week', '0001-01-01T00:00:00+01:00'];
  it.each(notInstants)('refuses %j', (value) => {
    const { message, ...rest } = refusal(() => instantArgument(value, 'createdFrom'));
    expect(rest).toEqual({ code: 'BAD_USER_INPUT', argumentName: 'createdFrom' });
    expect(message).toBe(`createdFrom must be a date (YYYY-MM-DD) or an ISO 8601 timestamp with offset, got "${value}"`);
  });
});

describe('periodArgument', () => {
  it('covers both bound days whole', () => {
    expect(periodArgument('2024-03-01', '2024-03-01', ['from', 'to'])).toEqual({ from: '2024-03-01T00:00:00.000Z', to: '2024-03-01T23:59:59.999Z' });
    expect(periodArgument(null, '2024-03-01', ['from', 'to'])).toEqual({ from: undefined, to: '2024-03-01T23:59:59.999Z' });
  });

  it('refuses a period that ends before it starts, naming its start', () => {
    expect(refusal(() => periodArgument('2025-01-01', '2024-01-01', ['openedFrom', 'openedTo']))).toEqual({
      code: 'BAD_USER_INPUT',
      argumentName: 'openedFrom',
      message: 'openedFrom must not be after openedTo, got 2025-01-01 and 2024-01-01',
    });
    expect(refusal(() => periodArgument('2024-01-01', '2024-13-01', ['from', 'to']))).toMatchObject({ argumentName: 'to' });
  });
});

describe('integerIdArgument and integerKey', () => {
  it('take decimal ids that fit a PostgreSQL integer', () => {
    expect(integerIdArgument('42', 'productId')).toBe(42);
    expect(integerIdArgument('2147483647', 'productId')).toBe(2_147_483_647);
    expect(integerIdArgument(null, 'productId')).toBeUndefined();
    expect([7, '7', '007', 0].map(integerKey)).toEqual([7, 7, 7, 0]);
  });

  it.each(['abc', '', '-1', '1.5', '1e3', '0x10', ' 7', '2147483648', '99999999999'])('refuse %j', (value) => {
    expect(integerKey(value)).toBeNull();
    expect(refusal(() => integerIdArgument(value, 'filter.carrierId', { argumentName: 'filter' }))).toEqual({
      code: 'BAD_USER_INPUT',
      argumentName: 'filter',
      message: `filter.carrierId must be an integer id, got "${value}"`,
    });
  });

  it('integerKey drops numbers no integer key can be', () => {
    expect([NaN, 1e12, -1, 1.5, Infinity].map(integerKey)).toEqual([null, null, null, null, null]);
  });
});

describe('isIsoTimestamp', () => {
  it('accepts what the tables hold and refuses what PostgreSQL would not parse', () => {
    expect(isIsoTimestamp('2024-01-01T14:00:00.000Z')).toBe(true);
    expect(isIsoTimestamp('9999-12-31T23:59:59.999Z')).toBe(true);
    for (const value of ['0000-01-01T00:00:00Z', '2024-02-30T00:00:00Z', '2024-01-01T00:00:60Z', '2024-01-01 00:00:00Z', 12, null]) {
      expect(isIsoTimestamp(value), String(value)).toBe(false);
    }
  });
});
