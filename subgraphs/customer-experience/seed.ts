import type { Database } from '../../shared/db';
import { insertInChunks } from '../../shared/db';
import { demoReview, demoTicket, forEachBatch, type DemoWorld } from '../../shared/demo-data';
import type { SeedProgress } from '../../shared/domain';

const BATCH = 5_000;

/** Writes the customer-experience part of the demo world, streaming reviews and tickets in batches. */
export async function seed(db: Database, world: DemoWorld, onProgress: SeedProgress = () => {}): Promise<void> {
  const { counts } = world;
  await db.knex.transaction(async (trx) => {
    await forEachBatch(counts.reviews, BATCH, async (from, to) => {
      const reviews = [];
      for (let i = from; i < to; i++) {
        const r = demoReview(world, i);
        reviews.push({
          id: r.id, product_id: r.productId, customer_id: r.customerId, order_id: r.orderId,
          rating: r.rating, title: r.title, body: r.body, created_at: r.createdAt,
        });
      }
      await insertInChunks(trx, 'reviews', reviews);
      onProgress('reviews', to, counts.reviews);
    });
    await forEachBatch(counts.tickets, BATCH, async (from, to) => {
      const tickets = [];
      for (let i = from; i < to; i++) {
        const t = demoTicket(world, i);
        tickets.push({
          id: t.id, customer_id: t.customerId, order_id: t.orderId, subject: t.subject, channel: t.channel,
          priority: t.priority, status: t.status, opened_at: t.openedAt, closed_at: t.closedAt, satisfaction_score: t.satisfactionScore,
        });
      }
      await insertInChunks(trx, 'support_tickets', tickets);
      onProgress('support_tickets', to, counts.tickets);
    });
  });
}
