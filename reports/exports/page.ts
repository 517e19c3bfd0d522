/**
 * The lists as files, with the filters the person chose on the page and only what they may read.
 *
 *   GET /exports/projects.csv|xlsx  ?stage=…  the project queue (every page of it)
 *   GET /exports/tickets.csv|xlsx   ?queue=…  a ticket work queue with its clocks
 *   GET /exports/visits.csv|xlsx    ?section=…  the visit list (an engineer: their own visits)
 *   GET /exports/calls.csv|xlsx     ?section=…  the calls of the day
 */
import type { Request, Response } from 'express';
import { principalOf } from '../../platform/http/access';
import { ProjectsRepository } from '../../processes/delivery/repository';
import { readScope } from '../../domain/access';
import { PROJECT_STAGES, type ProjectStage } from '../../processes/delivery/rules';
import type { ConsoleArea } from '../../platform/console/context';
import { CONTENT_TYPES, EXPORT_FORMATS, render, type ExportFormat, type Table } from '../../platform/console/exportTable';
import { customerTimeZones, namesOf } from '../../platform/console/kit';
import { translate, type MessageKey } from '../../platform/i18n/catalogue';
import { ticketWord } from '../../processes/tickets/console/words';
import { CONSOLE_TIME_ZONE, formatInZone, label } from '../../platform/console/views';
import { TICKET_QUEUES, ticketQueueRows, type TicketQueue } from '../../processes/tickets/console/tickets';
import { callsTable, visitsTable } from '../../processes/care/console/exports';

/** The most rows one export holds (a whole queue of 10,000 projects fits). */
const EXPORT_LIMIT = 50_000;

export const exportsArea: ConsoleArea = {
  paths: ['/exports/:list.:format'],
  register(router, ctx) {
    const projects = new ProjectsRepository(ctx.knex);
    const bad = (req: Request, res: Response, what: string) => ctx.message(req, res, 400, ctx.t(req, res, 'message.badRequest'), what);

    async function projectsTable(req: Request, res: Response): Promise<Table | null> {
      const locale = ctx.localeOf(req, res);
      const t = (key: MessageKey) => translate(locale, key);
      const stage = req.query.stage;
      if (stage !== undefined && !(typeof stage === 'string' && (PROJECT_STAGES as readonly string[]).includes(stage))) {
        bad(req, res, ctx.t(req, res, 'message.badStage.text', { stage: String(stage) }));
        return null;
      }
      const scope = readScope(principalOf(ctx.signedInUser(res)!), 'project');
      const rows = await projects.list({ stage: stage as ProjectStage | undefined, limit: EXPORT_LIMIT, offset: 0, scope });
      const zones = await customerTimeZones(ctx.knex, rows.map((p) => p.customerId));
      return {
        name: 'projects',
        headers: [t('queue.contractNo'), t('queue.name'), t('queue.stage'), t('queue.projectManager'), t('queue.created'), t('project.timeZone')],
        rows: rows.map((p) => {
          const zone = zones.get(p.customerId) ?? CONSOLE_TIME_ZONE;
          return [p.contractNo, p.name, label(locale, 'stage', p.stage), p.projectManager.name, formatInZone(p.createdAt, zone), zone];
        }),
      };
    }

    async function ticketsTable(req: Request, res: Response): Promise<Table | null> {
      const locale = ctx.localeOf(req, res);
      const t = (key: MessageKey) => translate(locale, key);
      const queue = req.query.queue ?? 'open';
      if (typeof queue !== 'string' || !(TICKET_QUEUES as readonly string[]).includes(queue)) {
        bad(req, res, ctx.t(req, res, 'message.badQueue.text', { queue: String(queue) }));
        return null;
      }
      const views = await ticketQueueRows(ctx.knex, ctx.signedInUser(res)!, queue as TicketQueue, ctx.now());
      const [customers, engineers, zones] = await Promise.all([
        namesOf(ctx.knex, 'customers', views.map((v) => v.customerId)),
        namesOf(ctx.knex, 'users', views.map((v) => v.assigneeUserId)),
        customerTimeZones(ctx.knex, views.map((v) => v.customerId)),
      ]);
      return {
        name: 'tickets',
        headers: [t('tickets.id'), t('ticket.kind'), t('tickets.customer'), t('tickets.level'), t('tickets.status'), t('tickets.engineer'), t('tickets.clocks'), t('tickets.opened'), t('project.timeZone')],
        rows: views.map((v) => {
          const zone = zones.get(v.customerId) ?? CONSOLE_TIME_ZONE;
          const clocks = v.clocks
            .map((c) => `${translate(locale, `clock.${c.name}` as MessageKey)}: ${translate(locale, `clockStatus.${c.status}` as MessageKey)}${c.dueAt && !c.stoppedAt ? ` (${formatInZone(new Date(c.dueAt), zone)})` : ''}`)
            .join('; ');
          return [v.id, ticketWord(locale, 'ticket.kind', v.kind), customers.get(v.customerId) ?? `#${v.customerId}`, v.level, ticketWord(locale, 'ticket.status', v.status), v.assigneeUserId === null ? null : (engineers.get(v.assigneeUserId) ?? null), clocks, formatInZone(new Date(v.openedAt), zone), zone];
        }),
      };
    }

    /** A care list, or a 400 for a section the page has not. */
    const careList = (table: typeof visitsTable) => async (req: Request, res: Response) => {
      const made = await table(ctx, ctx.localeOf(req, res), principalOf(ctx.signedInUser(res)!), req.query.section);
      if (!made) bad(req, res, ctx.t(req, res, 'export.badSection', { section: String(req.query.section) }));
      return made;
    };

    const LISTS: Record<string, (req: Request, res: Response) => Promise<Table | null>> = { projects: projectsTable, tickets: ticketsTable, visits: careList(visitsTable), calls: careList(callsTable) };

    router.get('/exports/:list.:format', ctx.requireUser, async (req, res) => {
      const name = String(req.params.list);
      const format = req.params.format as ExportFormat;
      const list = Object.prototype.hasOwnProperty.call(LISTS, name) ? LISTS[name] : undefined;
      if (!list || !(EXPORT_FORMATS as readonly string[]).includes(format)) {
        return ctx.message(req, res, 404, ctx.t(req, res, 'message.noExport.title'), ctx.t(req, res, 'message.noExport.text', { name: `${name}.${format}` }));
      }
      const table = await list(req, res);
      if (!table) return;
      const stamp = formatInZone(ctx.now(), CONSOLE_TIME_ZONE).replace(/[^0-9]/g, '');
      res
        .status(200)
        .set({ 'Content-Type': CONTENT_TYPES[format], 'Content-Disposition': `attachment; filename="${table.name}-${stamp}.${format}"`, 'Cache-Control': 'no-store' })
        .send(await render(table, format));
    });
  },
};
