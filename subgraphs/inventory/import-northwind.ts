import { insertInChunks, type Database } from '../../shared/db';
import { required, type NorthwindData } from '../../shared/datasets/northwind';

/** The one warehouse Northwind's stock figures belong to (the data set has no warehouses). */
export const NORTHWIND_WAREHOUSE = { id: 1, code: 'NWD', name: 'Northwind Main Warehouse', city: 'Seattle', country: 'USA' };

/**
 * Writes Northwind's categories, suppliers and products into inventory's (empty) tables, with
 * all stock in one warehouse: units_in_stock is on hand and nothing is reserved. units_on_order
 * (stock ordered from suppliers, not yet received) has no place in inventory and is left out.
 */
export async function importNorthwind(db: Database, data: NorthwindData): Promise<void> {
  await db.knex.transaction(async (trx) => {
    await insertInChunks(trx, 'categories', data.categories.map((c) => ({ id: c.category_id, name: c.category_name, description: c.description })));
    await insertInChunks(
      trx,
      'suppliers',
      data.suppliers.map((s) => ({
        id: s.supplier_id, company_name: s.company_name, contact_name: s.contact_name, contact_title: s.contact_title, phone: s.phone,
        street: s.address, city: s.city, region: s.region, postal_code: s.postal_code, country: s.country,
      })),
    );
    await insertInChunks(
      trx,
      'products',
      data.products.map((p) => ({
        id: p.product_id,
        sku: `NW-${p.product_id}`,
        name: p.product_name,
        category_id: required(p.category_id, `product ${p.product_id} category_id`),
        supplier_id: required(p.supplier_id, `product ${p.product_id} supplier_id`),
        quantity_per_unit: p.quantity_per_unit,
        unit_price: required(p.unit_price, `product ${p.product_id} unit_price`),
        discontinued: p.discontinued === 1,
      })),
    );
    await insertInChunks(trx, 'warehouses', [NORTHWIND_WAREHOUSE]);
    await insertInChunks(
      trx,
      'stock_levels',
      data.products.map((p) => ({
        product_id: p.product_id, warehouse_id: NORTHWIND_WAREHOUSE.id, on_hand: p.units_in_stock ?? 0, reserved: 0, reorder_level: p.reorder_level ?? 0,
      })),
    );
  });
}
