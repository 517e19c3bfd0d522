/**
 * Work queues across processes, answered from the deadline rows: what is overdue, what falls due this
 * week. Any number of open processes is one indexed query; no workflow is asked.
 */
import { DeadlinesRepository } from '../../schedule/deadlines/repository';
import { say } from '../../platform/i18n/catalogue';
import { readerLocale } from '../../platform/http/problemMessages';
import { DEALER_DEADLINE_TABLES, type DealerRecordType, type ReadableRecords } from '../../schedule/deadlines/repository';
import { PROJECT_SCOPE_COLUMNS } from '../../processes/delivery/repository';
import { TICKET_SCOPE_COLUMNS } from '../../processes/tickets/repository';
import { CARE_REACH } from '../../platform/db/reach/care';
import { readScope, type Principal } from '../../domain/access';
import { principalOf } from '../../platform/http/access';
import { apiModule } from '../../platform/http/module';
import { defineRoute } from '../../platform/http/route';
import { z } from '../../platform/http/zod';

const WINDOWS = ['overdue', 'week', 'all'] as const;

const DeadlineQuery = z.object({
  due: z.enum(WINDOWS).default('all').openapi({ description: 'overdue: due before now; week: due within the next 7 days (overdue included); all: every open deadline' }),
  kind: z.string().max(64).optional().openapi({ description: 'e.g. weekly_report, trial_report, doa_return' }),
  limit: z.coerce.number().int().min(1).max(1000).default(200),
  offset: z.coerce.number().int().min(0).default(0),
});

const DeadlineSchema = z
  .object({
    recordType: z.string(),
    recordId: z.number().int(),
    kind: z.string(),
    key: z.string(),
    description: z.string(),
    dueAt: z.iso.datetime(),
    overdue: z.boolean(),
    lastRung: z.string().nullable(),
    provisional: z.boolean().openapi({ description: 'Computed on a calendar year with no data yet (weekends only); recomputed when the year is loaded' }),
  })
  .openapi('Deadline');

const WEEK_MS = 7 * 86_400_000;

/**
 * Every kind of record that has deadlines, with how its rows belong to someone: a caller sees the
 * deadlines of the records they may read (domain/access.ts), each kind by its own rule. A process
 * that adds deadlines adds its record type here.
 */
export function readableRecords(principal: Principal): ReadableRecords[] {
  return [
    { recordType: 'project', table: 'projects', columns: PROJECT_SCOPE_COLUMNS, scope: readScope(principal, 'project') },
    { recordType: 'ticket', table: 'tickets', columns: TICKET_SCOPE_COLUMNS, scope: readScope(principal, 'ticket') },
    // A care plan's deadlines (its visits, calls, follow-ups), read by whoever reads the plan.
    { recordType: 'care_plan', table: 'care_plans', source: CARE_REACH.plan.source, columns: CARE_REACH.plan.columns, scope: readScope(principal, 'care_plan') },
    ...Object.entries(DEALER_DEADLINE_TABLES).map(([recordType, table]) => ({ recordType, table, columns: { dealer: 'dealer_id' }, scope: readScope(principal, recordType as DealerRecordType) })),
  ];
}

const listDeadlines = defineRoute(
  {
    method: 'get',
    path: '/deadlines',
    // Each caller sees the deadlines of the projects and tickets they may read (domain/access.ts).
    roles: 'authenticated',
    access: { rule: 'collection', resource: 'project', action: 'read' },
    summary: 'Open deadlines across every process, soonest first (work queues: overdue, due this week)',
    tags: ['deadlines'],
    query: DeadlineQuery,
    responses: { 200: { description: 'Open deadlines', body: z.object({ deadlines: z.array(DeadlineSchema) }) } },
  },
  async ({ query, deps, user, req }) => {
    const now = new Date();
    const dueBefore = query.due === 'overdue' ? now : query.due === 'week' ? new Date(now.getTime() + WEEK_MS) : undefined;
    const rows = await new DeadlinesRepository(deps.knex).listOpen({ kind: query.kind, dueBefore, limit: query.limit, offset: query.offset, readable: readableRecords(principalOf(user)) });
    return {
      status: 200,
      body: {
        deadlines: rows.map((d) => ({
          recordType: d.recordType,
          recordId: d.recordId,
          kind: d.kind,
          key: d.key,
          description: say(readerLocale(req, user), d.words, d.description),
          dueAt: d.dueAt.toISOString(),
          overdue: d.dueAt.getTime() < now.getTime(),
          lastRung: d.lastRung,
          provisional: d.provisional,
        })),
      },
    };
  },
);

export const deadlinesModule = apiModule(listDeadlines);
