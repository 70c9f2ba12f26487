/**
 * A small RFC 4180 CSV parser. Records end with CRLF, LF or CR; a field in double quotes may hold
 * commas, line breaks and `""` (one quote). An empty unquoted field is NULL (`null`); `""` is an
 * empty string. A line break at the very end of the text does not start another record.
 */

export type CsvField = string | null;
export type CsvRecord = Record<string, CsvField>;

export class CsvError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CsvError';
  }
}

const lineAt = (text: string, index: number) => text.slice(0, index).split(/\r\n|\r|\n/).length;

/** Every record as an array of fields, the header row included. */
export function parseCsvRows(text: string): CsvField[][] {
  const rows: CsvField[][] = [];
  const n = text.length;
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  if (i >= n) return rows;
  let row: CsvField[] = [];
  for (;;) {
    let value: CsvField;
    if (text[i] === '"') {
      const start = i;
      value = '';
      let from = i + 1;
      for (;;) {
        const quote = text.indexOf('"', from);
        if (quote === -1) throw new CsvError(`line ${lineAt(text, start)}: quoted field is never closed`);
        value += text.slice(from, quote);
        if (text[quote + 1] !== '"') {
          i = quote + 1;
          break;
        }
        value += '"';
        from = quote + 2;
      }
      if (i < n && text[i] !== ',' && text[i] !== '\r' && text[i] !== '\n') {
        throw new CsvError(`line ${lineAt(text, i)}: unexpected ${JSON.stringify(text[i])} after a closing quote`);
      }
    } else {
      let end = i;
      while (end < n && text[end] !== ',' && text[end] !== '\r' && text[end] !== '\n') end++;
      value = end === i ? null : text.slice(i, end);
      if (value?.includes('"')) throw new CsvError(`line ${lineAt(text, i)}: quote inside an unquoted field`);
      i = end;
    }
    row.push(value);
    if (i >= n) {
      rows.push(row);
      return rows;
    }
    if (text[i] === ',') {
      i++;
      continue;
    }
    i += text[i] === '\r' && text[i + 1] === '\n' ? 2 : 1;
    rows.push(row);
    row = [];
    if (i >= n) return rows;
  }
}

/** Records as objects keyed by the header row; every record must have the header's field count. */
export function parseCsv(text: string): CsvRecord[] {
  const [header, ...records] = parseCsvRows(text);
  if (!header) return [];
  const seen = new Set<string>();
  for (const name of header) {
    if (!name) throw new CsvError('header has an empty column name');
    if (seen.has(name)) throw new CsvError(`header names column "${name}" twice`);
    seen.add(name);
  }
  return records.map((fields, r) => {
    if (fields.length !== header.length) {
      throw new CsvError(`record ${r + 1} after the header has ${fields.length} fields; the header has ${header.length}`);
    }
    const record: CsvRecord = {};
    header.forEach((name, c) => (record[name as string] = fields[c]));
    return record;
  });
}
