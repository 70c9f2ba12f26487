/**
 * The deterministic demo retailer every domain seeds from. Each entity is a pure function of
 * (seed, index), so inventory, sales, logistics and customer-experience generate consistent
 * cross-domain data in separate processes and databases without reading each other's tables.
 * Same seed and scale, same data.
 */

import { roundCents } from './money';

export interface DemoWorld {
  seed: number;
  scale: number;
  counts: {
    categories: number;
    suppliers: number;
    products: number;
    warehouses: number;
    customers: number;
    salesReps: number;
    orders: number;
    carriers: number;
    reviews: number;
    tickets: number;
  };
  /** First and last order date (orders are spread evenly between them in id order). */
  firstOrderDate: string;
  lastOrderDate: string;
}

/** Scale 1 is a small shop (1,000 customers, 10,000 orders); scale 100 is a million orders. */
export function demoWorld(scale = 1, seed = 42): DemoWorld {
  if (!(scale > 0) || scale > 1000) throw new RangeError(`scale must be in (0, 1000], got ${scale}`);
  if (!Number.isInteger(seed)) throw new RangeError(`seed must be an integer, got ${seed}`);
  const orders = Math.max(20, Math.round(10_000 * scale));
  const products = Math.max(30, Math.round(200 * Math.sqrt(scale)));
  return {
    seed,
    scale,
    counts: {
      categories: CATEGORY_NAMES.length,
      suppliers: Math.max(5, Math.round(products / 10)),
      products,
      warehouses: WAREHOUSES.length,
      customers: Math.max(10, Math.round(1_000 * scale)),
      salesReps: Math.max(5, Math.round(20 * Math.sqrt(scale))),
      orders,
      carriers: CARRIERS.length,
      reviews: Math.round(orders * 0.4),
      tickets: Math.round(orders * 0.08),
    },
    firstOrderDate: '2024-01-01',
    lastOrderDate: '2025-12-31',
  };
}

// ---------------------------------------------------------------- randomness

/** A small, fast, seedable PRNG (mulberry32); `rng()` returns [0, 1). */
export type Rng = () => number;

function mulberry32(a: number): Rng {
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function hash(...parts: (string | number)[]): number {
  let h = 2166136261;
  for (const part of parts) {
    const s = String(part);
    for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
    h = Math.imul(h ^ 0x2f, 16777619);
  }
  return h >>> 0;
}

/** The random stream of one entity: independent of every other entity's. */
export function rngFor(world: DemoWorld, kind: string, index: number): Rng {
  return mulberry32(hash(world.seed, kind, index));
}

const int = (rng: Rng, min: number, max: number) => min + Math.floor(rng() * (max - min + 1));
const pick = <T>(rng: Rng, items: readonly T[]): T => items[Math.floor(rng() * items.length)];

// ---------------------------------------------------------------- dates

const DAY_MS = 86_400_000;
export const addDays = (isoDate: string, days: number) =>
  new Date(Date.parse(`${isoDate.slice(0, 10)}T00:00:00Z`) + days * DAY_MS).toISOString().slice(0, 10);
const addHours = (isoDate: string, hours: number) =>
  new Date(Date.parse(`${isoDate.slice(0, 10)}T00:00:00Z`) + hours * 3_600_000).toISOString();

// ---------------------------------------------------------------- vocabulary

const CATEGORY_NAMES = [
  ['Beverages', 'Soft drinks, coffees, teas, beers and ales'],
  ['Condiments', 'Sweet and savory sauces, relishes, spreads and seasonings'],
  ['Confections', 'Desserts, candies and sweet breads'],
  ['Dairy Products', 'Cheeses'],
  ['Grains & Cereals', 'Breads, crackers, pasta and cereal'],
  ['Meat & Poultry', 'Prepared meats'],
  ['Produce', 'Dried fruit and bean curd'],
  ['Seafood', 'Seaweed and fish'],
] as const;
const PRODUCT_WORDS = [
  ['Alpine', 'Golden', 'Rustic', 'Nordic', 'Sunny', 'Royal', 'Wild', 'Coastal', 'Highland', 'Classic', 'Smoky', 'Spicy'],
  ['Tea', 'Syrup', 'Chocolate', 'Cheese', 'Bread', 'Sausage', 'Apples', 'Salmon', 'Coffee', 'Mustard', 'Honey', 'Pasta'],
] as const;
const UNITS = ['10 boxes x 20 bags', '24 - 12 oz bottles', '12 - 550 ml bottles', '48 - 6 oz jars', '1 kg pkg.', '20 - 1 kg tins'];
const FIRST_NAMES = ['Maria', 'Ana', 'Antonio', 'Thomas', 'Christina', 'Hanna', 'Frédérique', 'Martín', 'Laurence', 'Elizabeth', 'Victoria', 'Patricio', 'Francisco', 'Yang', 'Pedro', 'Aria', 'Diego', 'Ingrid', 'Kenji', 'Olga', 'Sven', 'Zoë'];
const LAST_NAMES = ['Anders', 'Trujillo', 'Moreno', 'Hardy', 'Berglund', 'Moos', 'Citeaux', 'Sommer', 'Lebihan', 'Lincoln', 'Ashworth', 'Simpson', 'Chang', 'Afonso', 'Cruz', 'Nakamura', 'Petrova', 'Lindqvist', "O'Brien", 'Müller'];
const COMPANY_WORDS = [
  ['Alfreds', 'Blauer', 'Bólido', 'Centro', 'Drachen', 'Eastern', 'Ernst', 'Folk', 'Great', 'Hungry', 'Island', 'Königlich', 'La', 'Lonesome', 'North', 'Old', 'Queen', 'Rattlesnake', 'Save', 'Split', 'The Big', 'Tortuga', 'Vaffel', 'Wolski'],
  ['Futterkiste', 'Delikatessen', 'Comidas', 'Comercial', 'Blut Delikatessen', 'Connection', 'Handel', 'och fä', 'Lakes Market', 'Coyote Import', 'Trading', 'Essen', 'Maison', 'Pine Restaurant', 'by Northwest', 'World Delicatessen', 'Cozinha', 'Canyon Grocery', 'a lot Markets', 'Rail Beer', 'Cheese', 'Restaurante', 'hjem', 'Zajazd'],
] as const;
const PLACES = [
  ['Berlin', 'Germany', '12209'], ['México D.F.', 'Mexico', '05021'], ['London', 'UK', 'WA1 1DP'], ['Luleå', 'Sweden', 'S-958 22'],
  ['Mannheim', 'Germany', '68306'], ['Strasbourg', 'France', '67000'], ['Madrid', 'Spain', '28023'], ['Marseille', 'France', '13008'],
  ['Tsawassen', 'Canada', 'T2F 8M4'], ['Buenos Aires', 'Argentina', '1010'], ['Bern', 'Switzerland', '3012'], ['São Paulo', 'Brazil', '05432-043'],
  ['Seattle', 'USA', '98122'], ['Portland', 'USA', '97219'], ['Oulu', 'Finland', '90110'], ['Torino', 'Italy', '10100'],
  ['Lisboa', 'Portugal', '1756'], ['Bruxelles', 'Belgium', 'B-1180'], ['Århus', 'Denmark', '8200'], ['Warszawa', 'Poland', '01-012'],
] as const;
const STREETS = ['Obere Str.', 'Avda. de la Constitución', 'Mataderos', 'Berguvsvägen', 'Forsterstr.', 'place Kléber', 'C/ Araquil', 'rue des Bouchers', 'Fauntleroy Circus', 'Cerrito', 'Hauptstr.', 'Av. dos Lusíadas', 'Baker Blvd.', 'Via Monte Bianco', 'Rua da Panificadora'];
const TITLES = ['Sales Representative', 'Owner', 'Marketing Manager', 'Order Administrator', 'Purchasing Manager', 'Accounting Manager', 'Sales Agent'];
const REP_TITLES = ['Sales Representative', 'Sales Representative', 'Sales Representative', 'Inside Sales Coordinator', 'Sales Manager'];
export const WAREHOUSES = [
  { code: 'BER', name: 'Berlin Distribution Center', city: 'Berlin', country: 'Germany' },
  { code: 'LYS', name: 'Lyon Hub', city: 'Lyon', country: 'France' },
  { code: 'SEA', name: 'Seattle Fulfillment', city: 'Seattle', country: 'USA' },
  { code: 'SAO', name: 'São Paulo Depot', city: 'São Paulo', country: 'Brazil' },
] as const;
export const CARRIERS = [
  { name: 'Speedy Express', phone: '(503) 555-9831', minDays: 1, maxDays: 4 },
  { name: 'United Package', phone: '(503) 555-3199', minDays: 2, maxDays: 6 },
  { name: 'Federal Shipping', phone: '(503) 555-9931', minDays: 3, maxDays: 9 },
  { name: 'Nordic Freight', phone: '(46) 555-0142', minDays: 4, maxDays: 12 },
] as const;
const REVIEW_TITLES = ['Excellent', 'Great value', 'As described', 'Would buy again', 'Not bad', 'Disappointing', 'Arrived damaged', 'Perfect for our shop'];
const REVIEW_BODIES = [
  'Our customers loved it and we reordered within a week.',
  'Good quality for the price, packaging could be better.',
  'Taste was exactly as expected. Delivery was quick.',
  'Two of the jars were cracked on arrival; support replaced them.',
  'Consistent quality across several orders.',
  'Not what we expected from the description.',
];
const TICKET_SUBJECTS = ['Late delivery', 'Damaged goods', 'Invoice question', 'Wrong item shipped', 'Change delivery address', 'Product availability', 'Return request'];
export const TICKET_CHANNELS = ['EMAIL', 'PHONE', 'CHAT'] as const;

// ---------------------------------------------------------------- entities
// Indexes are 0-based; ids are 1-based integers, except customers (text codes, as in Northwind).

export interface PostalAddress {
  street: string;
  city: string;
  postalCode: string;
  country: string;
}

function address(rng: Rng): PostalAddress {
  const [city, country, postalCode] = pick(rng, PLACES);
  return { street: `${pick(rng, STREETS)} ${int(rng, 1, 250)}`, city, postalCode, country };
}

function phone(rng: Rng): string {
  return `(${int(rng, 100, 999)}) 555-${String(int(rng, 0, 9999)).padStart(4, '0')}`;
}

function personName(rng: Rng): { first: string; last: string } {
  return { first: pick(rng, FIRST_NAMES), last: pick(rng, LAST_NAMES) };
}

export function demoCategory(_world: DemoWorld, i: number) {
  const [name, description] = CATEGORY_NAMES[i];
  return { id: i + 1, name, description };
}

export function demoSupplier(world: DemoWorld, i: number) {
  const rng = rngFor(world, 'supplier', i);
  const contact = personName(rng);
  return {
    id: i + 1,
    companyName: `${pick(rng, COMPANY_WORDS[0])} ${pick(rng, COMPANY_WORDS[1])} Supply ${i + 1}`,
    contactName: `${contact.first} ${contact.last}`,
    contactTitle: pick(rng, TITLES),
    phone: phone(rng),
    address: address(rng),
  };
}

export function demoProduct(world: DemoWorld, i: number) {
  const rng = rngFor(world, 'product', i);
  return {
    id: i + 1,
    sku: `SKU-${String(i + 1).padStart(6, '0')}`,
    name: `${pick(rng, PRODUCT_WORDS[0])} ${pick(rng, PRODUCT_WORDS[1])} ${i + 1}`,
    categoryId: int(rng, 1, world.counts.categories),
    supplierId: int(rng, 1, world.counts.suppliers),
    quantityPerUnit: pick(rng, UNITS),
    unitPrice: roundCents(2 + rng() * rng() * 120),
    discontinued: rng() < 0.08,
  };
}

export function demoWarehouse(_world: DemoWorld, i: number) {
  return { id: i + 1, ...WAREHOUSES[i] };
}

/** Stock of product `p` in warehouse `w`; not every product is stocked everywhere. */
export function demoStock(world: DemoWorld, p: number, w: number) {
  const rng = rngFor(world, `stock-${w}`, p);
  if (w > 0 && rng() < 0.35) return null;
  const reorderLevel = pick(rng, [0, 5, 10, 15, 20, 25, 30]);
  const onHand = rng() < 0.1 ? 0 : int(rng, 0, 150);
  return { productId: p + 1, warehouseId: w + 1, onHand, reserved: Math.min(onHand, int(rng, 0, 20)), reorderLevel };
}

export function demoCustomerId(i: number): string {
  return `C${String(i + 1).padStart(6, '0')}`;
}

export function demoCustomer(world: DemoWorld, i: number) {
  const rng = rngFor(world, 'customer', i);
  const contact = personName(rng);
  const companyName = `${pick(rng, COMPANY_WORDS[0])} ${pick(rng, COMPANY_WORDS[1])}`;
  const domain = companyName.toLowerCase().normalize('NFD').replace(/[^a-z]/g, '').slice(0, 16) || 'shop';
  return {
    id: demoCustomerId(i),
    companyName,
    contactName: `${contact.first} ${contact.last}`,
    contactTitle: pick(rng, TITLES),
    email: `${contact.first.toLowerCase().normalize('NFD').replace(/[^a-z]/g, '')}.${i + 1}@${domain}.example`,
    phone: phone(rng),
    address: address(rng),
  };
}

export function demoSalesRep(world: DemoWorld, i: number) {
  const rng = rngFor(world, 'rep', i);
  const name = personName(rng);
  const birthYear = int(rng, 1955, 1998);
  return {
    id: i + 1,
    firstName: name.first,
    lastName: name.last,
    title: i === 0 ? 'Vice President, Sales' : pick(rng, REP_TITLES),
    hireDate: `${int(rng, 2012, 2023)}-${String(int(rng, 1, 12)).padStart(2, '0')}-${String(int(rng, 1, 28)).padStart(2, '0')}`,
    birthDate: `${birthYear}-${String(int(rng, 1, 12)).padStart(2, '0')}-${String(int(rng, 1, 28)).padStart(2, '0')}`,
    homePhone: phone(rng),
    reportsTo: i === 0 ? null : 1,
  };
}

export type OrderStatus = 'PENDING' | 'CONFIRMED' | 'SHIPPED' | 'DELIVERED' | 'CANCELLED';

/** Order `i`: dates grow with the id, so the newest orders are still pending or in transit. */
export function demoOrder(world: DemoWorld, i: number) {
  const rng = rngFor(world, 'order', i);
  const span = (Date.parse(world.lastOrderDate) - Date.parse(world.firstOrderDate)) / DAY_MS;
  const orderDate = addDays(world.firstOrderDate, Math.floor((i * span) / world.counts.orders));
  const age = (i + 1) / world.counts.orders; // 1.0 = newest
  let status: OrderStatus;
  if (rng() < 0.03) status = 'CANCELLED';
  else if (age > 0.998) status = 'PENDING';
  else if (age > 0.995) status = 'CONFIRMED';
  else if (age > 0.985) status = 'SHIPPED';
  else status = 'DELIVERED';
  // A skewed customer pick: a few customers order much more than most.
  const customerIndex = Math.floor(Math.pow(rng(), 1.6) * world.counts.customers);
  const lineCount = int(rng, 1, 5);
  const productIds = new Set<number>();
  while (productIds.size < Math.min(lineCount, world.counts.products)) productIds.add(int(rng, 1, world.counts.products));
  const lines = [...productIds].map((productId, n) => ({
    orderId: i + 1,
    lineNumber: n + 1,
    productId,
    quantity: int(rng, 1, 40),
    unitPrice: demoProduct(world, productId - 1).unitPrice,
    discount: pick(rng, [0, 0, 0, 0, 0.05, 0.1, 0.15, 0.2]),
  }));
  return {
    id: i + 1,
    customerId: demoCustomerId(customerIndex),
    customerIndex,
    salesRepId: int(rng, 1, world.counts.salesReps),
    orderDate,
    requiredDate: addDays(orderDate, int(rng, 7, 28)),
    status,
    lines,
  };
}

export type ShipmentStatus = 'IN_TRANSIT' | 'DELIVERED';

/** Shipments of order `i`: none until shipped; about one order in ten ships in two parcels. */
export function demoShipments(world: DemoWorld, i: number) {
  const order = demoOrder(world, i);
  if (order.status !== 'SHIPPED' && order.status !== 'DELIVERED') return [];
  const rng = rngFor(world, 'shipment', i);
  const parcels = rng() < 0.1 && order.lines.length > 1 ? 2 : 1;
  const destination = demoCustomer(world, order.customerIndex).address;
  return Array.from({ length: parcels }, (_, k) => {
    const carrierId = int(rng, 1, world.counts.carriers);
    const carrier = CARRIERS[carrierId - 1];
    const shippedDate = addDays(order.orderDate, int(rng, 0, 3) + k);
    const transitDays = int(rng, carrier.minDays, carrier.maxDays);
    const delivered = order.status === 'DELIVERED';
    const shippedAt = addHours(shippedDate, int(rng, 8, 18));
    const deliveredAt = delivered ? addHours(addDays(shippedDate, transitDays), int(rng, 9, 19)) : null;
    const id = `SHP-${order.id}-${k + 1}`;
    const events = [
      { shipmentId: id, sequence: 1, occurredAt: addHours(shippedDate, 6), status: 'LABEL_CREATED', location: `${destination.country} gateway` },
      { shipmentId: id, sequence: 2, occurredAt: shippedAt, status: 'PICKED_UP', location: carrier.name },
      { shipmentId: id, sequence: 3, occurredAt: addHours(shippedDate, 30), status: 'IN_TRANSIT', location: `${destination.city} hub` },
    ];
    if (deliveredAt) events.push({ shipmentId: id, sequence: 4, occurredAt: deliveredAt, status: 'DELIVERED', location: destination.city });
    return {
      id,
      orderId: order.id,
      carrierId,
      status: (delivered ? 'DELIVERED' : 'IN_TRANSIT') as ShipmentStatus,
      shippedAt,
      deliveredAt,
      freight: roundCents(3 + rng() * 60 * order.lines.length / parcels),
      deliveryAddress: destination,
      trackingNumber: `${carrier.name.slice(0, 2).toUpperCase()}${String(hash(world.seed, id)).padStart(10, '0')}`,
      events,
    };
  });
}

/** Review `i`: written by the customer of an earlier delivered order, about one of its products. */
export function demoReview(world: DemoWorld, i: number) {
  const rng = rngFor(world, 'review', i);
  const orderIndex = int(rng, 0, Math.floor(world.counts.orders * 0.98));
  const order = demoOrder(world, orderIndex);
  const line = pick(rng, order.lines);
  const rating = pick(rng, [1, 2, 3, 3, 4, 4, 4, 5, 5, 5, 5]);
  return {
    id: i + 1,
    productId: line.productId,
    customerId: order.customerId,
    orderId: order.id,
    rating,
    title: REVIEW_TITLES[Math.min(REVIEW_TITLES.length - 1, (5 - rating) * 2 + int(rng, 0, 1))],
    body: pick(rng, REVIEW_BODIES),
    createdAt: addHours(addDays(order.orderDate, int(rng, 7, 40)), int(rng, 0, 23)),
  };
}

export type TicketStatus = 'OPEN' | 'IN_PROGRESS' | 'RESOLVED' | 'CLOSED';

/** Support ticket `i`, about an order; closed tickets carry a satisfaction score (1 to 5). */
export function demoTicket(world: DemoWorld, i: number) {
  const rng = rngFor(world, 'ticket', i);
  const order = demoOrder(world, int(rng, 0, world.counts.orders - 1));
  const openedAt = addHours(addDays(order.orderDate, int(rng, 1, 20)), int(rng, 0, 23));
  const age = order.id / world.counts.orders;
  const status: TicketStatus = age > 0.99 ? pick(rng, ['OPEN', 'IN_PROGRESS'] as const) : rng() < 0.3 ? 'RESOLVED' : 'CLOSED';
  const closed = status === 'RESOLVED' || status === 'CLOSED';
  return {
    id: i + 1,
    customerId: order.customerId,
    orderId: order.id,
    subject: pick(rng, TICKET_SUBJECTS),
    channel: pick(rng, TICKET_CHANNELS),
    priority: pick(rng, ['LOW', 'NORMAL', 'NORMAL', 'HIGH', 'URGENT'] as const),
    status,
    openedAt,
    closedAt: closed ? addHours(openedAt.slice(0, 10), int(rng, 2, 120)) : null,
    satisfactionScore: closed && rng() < 0.7 ? pick(rng, [1, 2, 3, 4, 4, 5, 5, 5]) : null,
  };
}

/** Calls `emit` with consecutive index ranges of at most `batch` items, for streaming seeds. */
export async function forEachBatch(count: number, batch: number, emit: (from: number, to: number) => Promise<void>) {
  for (let from = 0; from < count; from += batch) await emit(from, Math.min(count, from + batch));
}
