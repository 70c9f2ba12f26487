import type { Knex } from 'knex';

/**
 * `entity_keys.decision`: whether the entity's value left the gateway in clear (`allowed`; or
 * `denied` in dry-run mode, which reports denials without enforcing them) or `masked`, so the
 * subject-access report tells an auditor who saw the value from who saw a mask of it.
 *
 * Rows written before this migration are filled in from their event's hashed `fields` (the same
 * derivation `indexRowsOf` makes), page by page, so `verify` keeps comparing every column. Rows of
 * no event stay null: verify reports them as orphans anyway.
 */
const PAGE = 500;

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('entity_keys', (t) => {
    t.string('decision', 10);
  });
  let after = '';
  for (;;) {
    const ids: string[] = (await knex('entity_keys').distinct('event_id').where('event_id', '>', after).orderBy('event_id').limit(PAGE)).map((r) => r.event_id);
    if (ids.length === 0) break;
    after = ids[ids.length - 1];
    for (const event of await knex('events').whereIn('id', ids).select('id', 'fields')) {
      let fields: { coordinate?: unknown; decision?: unknown }[];
      try {
        fields = JSON.parse(event.fields);
      } catch {
        continue; // unreadable content: verify reports the event as modified
      }
      for (const f of Array.isArray(fields) ? fields : []) {
        if (typeof f?.coordinate !== 'string' || typeof f.decision !== 'string') continue;
        await knex('entity_keys').where({ event_id: event.id, coordinate: f.coordinate }).update({ decision: f.decision });
      }
    }
  }
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('entity_keys', (t) => {
    t.dropColumn('decision');
  });
}
