import fs from 'node:fs';
import path from 'node:path';
import { CsvError, parseCsv } from '../csv';
import { MeshgateError } from '../errors';

/*
 * Microsoft's Northwind sample database as CSV files plus schema.json (the layout of
 * shared/datasets/northwind, see its README). Column names and nullability follow schema.json:
 * integer/real columns become numbers, text and date (YYYY-MM-DD) columns stay strings, so codes
 * with leading zeros keep them; NULL (an empty unquoted field) becomes null.
 */

export interface NorthwindCategory {
  category_id: number;
  category_name: string;
  description: string | null;
}

export interface NorthwindCustomer {
  customer_id: string;
  company_name: string;
  contact_name: string | null;
  contact_title: string | null;
  address: string | null;
  city: string | null;
  region: string | null;
  postal_code: string | null;
  country: string | null;
  phone: string | null;
  fax: string | null;
}

export interface NorthwindEmployee {
  employee_id: number;
  last_name: string;
  first_name: string;
  title: string | null;
  title_of_courtesy: string | null;
  birth_date: string | null;
  hire_date: string | null;
  address: string | null;
  city: string | null;
  region: string | null;
  postal_code: string | null;
  country: string | null;
  home_phone: string | null;
  extension: string | null;
  notes: string | null;
  reports_to: number | null;
  photo_path: string | null;
}

export interface NorthwindShipper {
  shipper_id: number;
  company_name: string;
  phone: string | null;
}

export interface NorthwindSupplier {
  supplier_id: number;
  company_name: string;
  contact_name: string | null;
  contact_title: string | null;
  address: string | null;
  city: string | null;
  region: string | null;
  postal_code: string | null;
  country: string | null;
  phone: string | null;
  fax: string | null;
  homepage: string | null;
}

export interface NorthwindProduct {
  product_id: number;
  product_name: string;
  supplier_id: number | null;
  category_id: number | null;
  quantity_per_unit: string | null;
  unit_price: number | null;
  units_in_stock: number | null;
  units_on_order: number | null;
  reorder_level: number | null;
  /** 0 or 1. */
  discontinued: number;
}

export interface NorthwindOrder {
  order_id: number;
  customer_id: string | null;
  employee_id: number | null;
  order_date: string | null;
  required_date: string | null;
  /** NULL for orders not shipped yet. */
  shipped_date: string | null;
  /** The shipper. */
  ship_via: number | null;
  freight: number | null;
  ship_name: string | null;
  ship_address: string | null;
  ship_city: string | null;
  ship_region: string | null;
  ship_postal_code: string | null;
  ship_country: string | null;
}

export interface NorthwindOrderDetail {
  order_id: number;
  product_id: number;
  unit_price: number;
  quantity: number;
  /** A fraction, 0 to 1. */
  discount: number;
}

export interface NorthwindData {
  categories: NorthwindCategory[];
  customers: NorthwindCustomer[];
  employees: NorthwindEmployee[];
  shippers: NorthwindShipper[];
  suppliers: NorthwindSupplier[];
  products: NorthwindProduct[];
  orders: NorthwindOrder[];
  order_details: NorthwindOrderDetail[];
}

const TABLES: (keyof NorthwindData)[] = ['categories', 'customers', 'employees', 'shippers', 'suppliers', 'products', 'orders', 'order_details'];

interface SchemaColumn {
  name: string;
  type: string;
  nullable: boolean;
}

interface SchemaTable {
  name: string;
  file: string;
  columns: SchemaColumn[];
}

function fail(message: string, file: string): never {
  throw new MeshgateError('IMPORT_FAILED', message, { file });
}

function readText(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (err) {
    return fail(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, file);
  }
}

function convert(value: string | null, column: SchemaColumn, where: () => string, file: string): string | number | null {
  if (value === null) return column.nullable ? null : fail(`${where()}: ${column.name} is NULL but may not be`, file);
  switch (column.type) {
    case 'integer':
    case 'real': {
      const n = Number(value);
      if (value.trim() === '' || !Number.isFinite(n) || (column.type === 'integer' && !Number.isInteger(n))) {
        fail(`${where()}: ${column.name} is not ${column.type === 'integer' ? 'an integer' : 'a number'}: "${value}"`, file);
      }
      return n;
    }
    case 'date':
      return /^\d{4}-\d{2}-\d{2}$/.test(value) ? value : fail(`${where()}: ${column.name} is not a YYYY-MM-DD date: "${value}"`, file);
    case 'text':
      return value;
    default:
      return fail(`column ${column.name} has unknown type "${column.type}" in schema.json`, file);
  }
}

function readTable(dir: string, table: SchemaTable): Record<string, unknown>[] {
  const file = path.join(dir, table.file);
  let records;
  try {
    records = parseCsv(readText(file));
  } catch (err) {
    if (err instanceof CsvError) fail(`${file}: ${err.message}`, file);
    throw err;
  }
  return records.map((record, r) =>
    Object.fromEntries(
      table.columns.map((column) => {
        if (!Object.hasOwn(record, column.name)) fail(`${file} has no column "${column.name}"`, file);
        return [column.name, convert(record[column.name], column, () => `${file}, record ${r + 1}`, file)];
      }),
    ),
  );
}

/** Reads and types the Northwind tables the mesh imports; any problem is IMPORT_FAILED naming the file. */
export function readNorthwind(dir: string): NorthwindData {
  if (!fs.statSync(dir, { throwIfNoEntry: false })?.isDirectory()) fail(`Northwind directory ${dir} does not exist`, dir);
  const schemaFile = path.join(dir, 'schema.json');
  let schema: { tables?: SchemaTable[] };
  try {
    schema = JSON.parse(readText(schemaFile));
  } catch (err) {
    if (err instanceof SyntaxError) fail(`${schemaFile} is not valid JSON: ${err.message}`, schemaFile);
    throw err;
  }
  const data: Partial<Record<keyof NorthwindData, unknown[]>> = {};
  for (const name of TABLES) {
    const table = schema.tables?.find((t) => t.name === name);
    if (!table) fail(`${schemaFile} does not describe table "${name}"`, schemaFile);
    data[name] = readTable(dir, table);
  }
  return data as NorthwindData;
}

/** A value the target table needs, where Northwind's schema allows NULL (the data has none there). */
export function required<T>(value: T | null, where: string): T {
  if (value === null) throw new MeshgateError('IMPORT_FAILED', `${where} is NULL; the target table needs a value`);
  return value;
}
