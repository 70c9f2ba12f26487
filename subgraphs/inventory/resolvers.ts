import { postalAddress } from '../../shared/address';
import type { DomainContext } from '../../shared/domain';
import { connectionResolvers, mapConnection, pageSize, toConnection, type PageArgs } from '../../shared/pagination';
import * as data from './data';
import type { InventoryLoaders } from './loaders';

type Ctx = DomainContext<InventoryLoaders>;

const product = (row: data.ProductRow) => ({
  id: row.id,
  sku: row.sku,
  name: row.name,
  quantityPerUnit: row.quantity_per_unit,
  unitPrice: row.unit_price,
  discontinued: Boolean(row.discontinued),
  categoryId: row.category_id,
  supplierId: row.supplier_id,
});

const supplier = (row: any) => ({
  id: row.id,
  companyName: row.company_name,
  contactName: row.contact_name,
  contactTitle: row.contact_title,
  phone: row.phone,
  address: postalAddress(row),
});

const stockLevel = (row: data.StockRow) => ({
  productId: row.product_id,
  warehouseId: row.warehouse_id,
  onHand: row.on_hand,
  reserved: row.reserved,
  available: row.on_hand - row.reserved,
  reorderLevel: row.reorder_level,
  needsReorder: row.on_hand - row.reserved <= row.reorder_level,
});

const byName = (row: { name: string; id: number }) => [row.name, row.id];

async function productById(id: string | number, ctx: Ctx) {
  const row = await ctx.loaders.product.load(id);
  return row && product(row);
}

export const resolvers = {
  ProductConnection: connectionResolvers,
  SupplierConnection: connectionResolvers,
  StockLevelConnection: connectionResolvers,
  Query: {
    product: (_: unknown, { id }: { id: string }, ctx: Ctx) => productById(id, ctx),
    productBySku: async (_: unknown, { sku }: { sku: string }, ctx: Ctx) => {
      const row = await ctx.loaders.productBySku.load(sku);
      return row && product(row);
    },
    products: async (_: unknown, args: PageArgs & { filter?: data.ProductFilter; orderBy?: { field: string; direction: 'ASC' | 'DESC' } }, ctx: Ctx) => {
      const page = await data.productPage(ctx.db, {
        first: pageSize(args.first),
        after: args.after,
        filter: args.filter,
        field: args.orderBy?.field,
        direction: args.orderBy?.direction === 'DESC' ? 'desc' : 'asc',
      });
      return mapConnection(page, product, () => data.countProducts(ctx.db, args.filter));
    },
    category: async (_: unknown, { id }: { id: string }, ctx: Ctx) => ctx.loaders.category.load(id),
    categories: (_: unknown, __: unknown, ctx: Ctx) => data.allCategories(ctx.db),
    supplier: async (_: unknown, { id }: { id: string }, ctx: Ctx) => {
      const row = await ctx.loaders.supplier.load(id);
      return row && supplier(row);
    },
    suppliers: async (_: unknown, args: PageArgs, ctx: Ctx) => {
      const page = await data.supplierPage(ctx.db, pageSize(args.first), args.after);
      return mapConnection(page, supplier, () => data.countSuppliers(ctx.db));
    },
    warehouse: (_: unknown, { id }: { id: string }, ctx: Ctx) => ctx.loaders.warehouse.load(id),
    warehouses: (_: unknown, __: unknown, ctx: Ctx) => data.allWarehouses(ctx.db),
  },

  Product: {
    __resolveReference: (ref: { id: string }, ctx: Ctx) => productById(ref.id, ctx),
    category: (p: { categoryId: number }, _: unknown, ctx: Ctx) => ctx.loaders.category.load(p.categoryId),
    supplier: async (p: { supplierId: number }, _: unknown, ctx: Ctx) => supplier(await ctx.loaders.supplier.load(p.supplierId)),
    stockLevels: async (p: { id: number }, _: unknown, ctx: Ctx) => (await ctx.loaders.stockByProduct.load(p.id)).map(stockLevel),
    availability: async (p: { id: number; discontinued: boolean }, _: unknown, ctx: Ctx) => {
      const row = await ctx.loaders.availability.load(p.id);
      const onHand = row?.on_hand ?? 0;
      const reserved = row?.reserved ?? 0;
      const available = onHand - reserved;
      const warehouseCount = row?.warehouse_count ?? 0;
      let status = 'IN_STOCK';
      if (p.discontinued) status = 'DISCONTINUED';
      else if (available <= 0) status = 'OUT_OF_STOCK';
      else if (warehouseCount > 0 && row!.low_count === warehouseCount) status = 'LOW_STOCK';
      return { onHand, reserved, available, status, warehouseCount };
    },
  },

  Category: {
    products: async (c: { id: number }, args: PageArgs, ctx: Ctx) => {
      const first = pageSize(args.first);
      const rows = await ctx.loaders.productsByCategory({ first, after: args.after }).load(c.id);
      return toConnection(rows.map(product), first, byName, async () => (await ctx.loaders.productCountByCategory.load(c.id))?.n ?? 0);
    },
  },

  Supplier: {
    products: async (s: { id: number }, args: PageArgs, ctx: Ctx) => {
      const first = pageSize(args.first);
      const rows = await ctx.loaders.productsBySupplier({ first, after: args.after }).load(s.id);
      return toConnection(rows.map(product), first, byName, async () => (await ctx.loaders.productCountBySupplier.load(s.id))?.n ?? 0);
    },
  },

  Warehouse: {
    stockLevels: async (w: { id: number }, args: PageArgs, ctx: Ctx) => {
      const first = pageSize(args.first);
      const rows = await ctx.loaders.stockByWarehouse({ first, after: args.after }).load(w.id);
      return toConnection(rows.map(stockLevel), first, (s) => [s.productId, s.productId], async () => (await ctx.loaders.stockCountByWarehouse.load(w.id))?.n ?? 0);
    },
  },

  StockLevel: {
    product: (s: { productId: number }, _: unknown, ctx: Ctx) => productById(s.productId, ctx),
    warehouse: (s: { warehouseId: number }, _: unknown, ctx: Ctx) => ctx.loaders.warehouse.load(s.warehouseId),
  },
};

