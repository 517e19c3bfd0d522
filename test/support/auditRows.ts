import type { Knex } from 'knex';

/**
 * The audit rows a query finds once `ready` says they are all there. Rows are written when a response
 * is over, a moment after the client has it, so a test reading them straight after a request could
 * read before the last one lands; on a busy machine it sometimes does.
 */
export async function auditRowsOnce<T = Record<string, unknown>>(knex: Knex, query: (rows: Knex.QueryBuilder) => Knex.QueryBuilder, ready: (rows: T[]) => boolean, timeoutMs = 30_000): Promise<T[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const rows = (await query(knex('audit_log'))) as T[];
    if (ready(rows) || Date.now() > deadline) return rows;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
