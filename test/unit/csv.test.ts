import { describe, expect, it } from 'vitest';
import { CsvError, parseCsv, parseCsvRows } from '../../shared/csv';

describe('parseCsvRows', () => {
  it('splits records on CRLF, LF or CR, with or without a final line break', () => {
    const rows = [['a', 'b'], ['1', '2'], ['3', '4']];
    expect(parseCsvRows('a,b\r\n1,2\r\n3,4\r\n')).toEqual(rows);
    expect(parseCsvRows('a,b\n1,2\n3,4')).toEqual(rows);
    expect(parseCsvRows('a,b\r1,2\r\n3,4\n')).toEqual(rows);
  });

  it('returns no records for empty text, and ignores a byte order mark', () => {
    expect(parseCsvRows('')).toEqual([]);
    expect(parseCsvRows('\uFEFF')).toEqual([]);
    expect(parseCsvRows('\uFEFFid\r\n7\r\n')).toEqual([['id'], ['7']]);
  });

  it('reads an empty unquoted field as null and "" as an empty string', () => {
    expect(parseCsvRows(',"",x,\r\n')).toEqual([[null, '', 'x', null]]);
    expect(parseCsvRows('a,\n')).toEqual([['a', null]]);
    expect(parseCsvRows('\n')).toEqual([[null]]);
    expect(parseCsvRows('a\n\nb\n')).toEqual([['a'], [null], ['b']]);
  });

  it('keeps commas, doubled quotes and line breaks inside quoted fields', () => {
    const text = 'id,note\r\n1,"He said ""hi"", then left"\r\n2,"line one\nline two\r\nline three"\r\n3,""""\r\n';
    expect(parseCsvRows(text)).toEqual([
      ['id', 'note'],
      ['1', 'He said "hi", then left'],
      ['2', 'line one\nline two\r\nline three'],
      ['3', '"'],
    ]);
  });

  it('keeps text exactly: spaces, leading zeros, non-ASCII letters', () => {
    expect(parseCsvRows(' 05021 , Berguvsvägen  8,0.10,\r\n')).toEqual([[' 05021 ', ' Berguvsvägen  8', '0.10', null]]);
  });

  it('rejects malformed quoting, naming the line', () => {
    expect(() => parseCsvRows('a,b\r\n1,"open\r\n')).toThrow(new CsvError('line 2: quoted field is never closed'));
    expect(() => parseCsvRows('a\n"x"y\n')).toThrow(new CsvError('line 2: unexpected "y" after a closing quote'));
    expect(() => parseCsvRows('a\n"multi\nline"\nb"c\n')).toThrow(new CsvError('line 4: quote inside an unquoted field'));
  });
});

describe('parseCsv', () => {
  it('maps records onto the header row', () => {
    expect(parseCsv('customer_id,region,fax\r\nALFKI,,"030-0076545"\r\nFISSA,"",\r\n')).toEqual([
      { customer_id: 'ALFKI', region: null, fax: '030-0076545' },
      { customer_id: 'FISSA', region: '', fax: null },
    ]);
  });

  it('returns no records for a header-only or empty text', () => {
    expect(parseCsv('customer_type_id,customer_desc\r\n')).toEqual([]);
    expect(parseCsv('')).toEqual([]);
  });

  it('rejects a record whose field count differs from the header', () => {
    expect(() => parseCsv('a,b\r\n1,2\r\n3\r\n')).toThrow(new CsvError('record 2 after the header has 1 fields; the header has 2'));
    expect(() => parseCsv('a,b\r\n1,2,3\r\n')).toThrow(CsvError);
  });

  it('rejects empty or repeated column names', () => {
    expect(() => parseCsv('a,,c\r\n')).toThrow(new CsvError('header has an empty column name'));
    expect(() => parseCsv('a,b,a\r\n')).toThrow(new CsvError('header names column "a" twice'));
  });
});
