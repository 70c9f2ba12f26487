import { addressColumns } from '../../shared/address';
import type { Database } from '../../shared/db';
import { insertInChunks } from '../../shared/db';
import {
  demoCategory, demoProduct, demoStock, demoSupplier, demoWarehouse, forEachBatch, type DemoWorld,
} from '../../shared/demo-data';
import type { SeedProgress } from '../../shared/domain';

const BATCH = 5_000;

/** Writes the inventory part of the demo world, streaming products and stock in batches. */
export async function seed(db: Database, world: DemoWorld, onProgress: SeedProgress = () => {}): Promise<void> {
  const { counts } = world;
  await db.knex.transaction(async (trx) => {
    await insertInChunks(trx, 'categories', Array.from({ length: counts.categories }, (_, i) => demoCategory(world, i)));
    await insertInChunks(
      trx,
      'suppliers',
      Array.from({ length: counts.suppliers }, (_, i) => {
        const s = demoSupplier(world, i);
        return {
          id: s.id, company_name: s.companyName, contact_name: s.contactName, contact_title: s.contactTitle, phone: s.phone,
          ...addressColumns(s.address),
        };
      }),
    );
    await insertInChunks(trx, 'warehouses', Array.from({ length: counts.warehouses }, (_, i) => demoWarehouse(world, i)));
    await forEachBatch(counts.products, BATCH, async (from, to) => {
      const products = [];
      const stock = [];
      for (let i = from; i < to; i++) {
        const p = demoProduct(world, i);
        products.push({
          id: p.id, sku: p.sku, name: p.name, category_id: p.categoryId, supplier_id: p.supplierId,
          quantity_per_unit: p.quantityPerUnit, unit_price: p.unitPrice, discontinued: p.discontinued,
        });
        for (let w = 0; w < counts.warehouses; w++) {
          const s = demoStock(world, i, w);
          if (s) stock.push({ product_id: s.productId, warehouse_id: s.warehouseId, on_hand: s.onHand, reserved: s.reserved, reorder_level: s.reorderLevel });
        }
      }
      await insertInChunks(trx, 'products', products);
      await insertInChunks(trx, 'stock_levels', stock);
      onProgress('products', to, counts.products);
    });
  });
}
