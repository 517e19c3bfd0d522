import type { Knex } from 'knex';

/**
 * The links of migration 0021 read from their other side: a dealer task's page finds the ticket
 * routed to it (tickets.dealer_task_id), a ticket's page and read find the return calls its close
 * put on a care plan (care_calls.ticket_id); without these, each a scan of the whole table.
 */
const INDEXES: Array<{ table: string; columns: string[]; name: string }> = [
  { table: 'tickets', columns: ['dealer_task_id'], name: 'tickets_dealer_task_idx' },
  { table: 'care_calls', columns: ['ticket_id'], name: 'care_calls_ticket_idx' },
];

export async function up(knex: Knex): Promise<void> {
  for (const index of INDEXES) {
    await knex.schema.alterTable(index.table, (table) => {
      table.index(index.columns, index.name);
    });
  }
}

export async function down(knex: Knex): Promise<void> {
  for (const index of [...INDEXES].reverse()) {
    await knex.schema.alterTable(index.table, (table) => {
      table.dropIndex(index.columns, index.name);
    });
  }
}
