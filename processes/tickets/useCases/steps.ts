/**
 * The ticket steps as use cases: each an update on the ticket's workflow, with the body it takes. The
 * step routes (POST /api/tickets/:id/<step>) and the console's step forms both take a step through
 * takeTicketStep.
 */
import type { UpdateDefinition } from '@temporalio/common';
import { DevicesRepository } from '../../../installedBase/devices';
import { words } from '../../../domain/words';
import type { Locale } from '../../../domain/locale';
import { translate } from '../../../platform/i18n/catalogue';
import { invalidFields, parseOrRefuse } from '../../../platform/http/problemMessages';
import { TicketsRepository, type Ticket } from '../repository';
import type { User } from '../../../people/repository';
import {
  acknowledgeTicketUpdate,
  arriveTicketUpdate,
  assignTicketUpdate,
  closeTicketUpdate,
  holdTicketUpdate,
  levelTicketUpdate,
  resolveTicketUpdate,
  backupUnitTicketUpdate,
  factoryRepairTicketUpdate,
  quoteAcceptedTicketUpdate,
  quoteRefusedTicketUpdate,
  quoteTicketUpdate,
  reopenTicketUpdate,
  replaceTicketUpdate,
  resumeTicketUpdate,
  surveyTicketUpdate,
  ticketWorkflowId,
  COMPLAINT_CATEGORIES,
} from '../messages';
import { conflict, unavailable, validationFailed } from '../../../platform/http/errors';
import { COLUMN, IdSchema, line, MoneySchema, optionalLine, prose } from '../../../platform/http/fields';
import type { ApiDeps } from '../../../platform/http/module';
import { stepFailureToApi } from '../../../platform/temporal/processStarts';
import { z } from '../../../platform/http/zod';
import { engineerOf } from './intake';
import { LevelSchema, PartSchema, StepTime, type StepResultSchema } from './schemas';

// Each update is typed by its own payload; the route only forwards it.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyUpdate = UpdateDefinition<any, [any]>;

export interface TicketStep {
  path: string;
  summary: string;
  body: z.ZodObject;
  update: AnyUpdate;
  action?: 'assign';
  prepare?: (body: Record<string, unknown>, deps: ApiDeps) => Promise<Record<string, unknown>>;
}

export type TicketStepResult = z.input<typeof StepResultSchema>;

export const TICKET_STEP_DEFINITIONS: TicketStep[] = [
  {
    path: 'assign',
    summary: 'Dispatch (or reassign) the ticket to an engineer; the clocks keep running',
    body: z.strictObject({ engineerUserId: IdSchema, ...StepTime }),
    update: assignTicketUpdate,
    action: 'assign',
    prepare: async ({ engineerUserId, ...rest }, deps) => ({ ...rest, engineer: await engineerOf(deps, engineerUserId as number, 'engineerUserId') }),
  },
  { path: 'acknowledge', summary: 'The engineer responds (a complaint: it is answered); stops the respond or reply clock', body: z.strictObject({ ...StepTime }), update: acknowledgeTicketUpdate },
  { path: 'arrive', summary: 'The engineer is on site; stops the on-site clock', body: z.strictObject({ ...StepTime }), update: arriveTicketUpdate },
  { path: 'hold', summary: 'Waiting for the customer or for parts: every running clock pauses', body: z.strictObject({ reason: z.enum(['customer', 'parts', 'other']), note: optionalLine(500).optional(), ...StepTime }), update: holdTicketUpdate },
  { path: 'resume', summary: 'Work goes on: the clocks run again, the hold time excluded', body: z.strictObject({ ...StepTime }), update: resumeTicketUpdate },
  { path: 'level', summary: 'Change the fault level: running clocks re-targeted from intake minus holds', body: z.strictObject({ level: LevelSchema, reason: prose(500), ...StepTime }), update: levelTicketUpdate },
  {
    path: 'resolve',
    summary: 'The repair record: diagnosis, work, parts, labour, travel; charges by entitlement',
    body: z.strictObject({
      diagnosis: prose(),
      workDone: prose(),
      qualityFault: z.boolean(),
      parts: z.array(PartSchema).max(100).default([]),
      labourMinutes: z.number().int().min(0).max(60_000).openapi({ description: 'Labour time in whole minutes' }),
      labourRate: MoneySchema,
      travel: MoneySchema,
      customerSignature: optionalLine().optional(),
      ...StepTime,
    }),
    update: resolveTicketUpdate,
  },
  {
    path: 'close',
    summary: 'Close a resolved ticket (its survey is then due), or a complaint the customer confirmed, with its root cause and resolution',
    body: z.strictObject({
      rootCause: prose().optional().openapi({ description: 'A complaint: required' }),
      resolution: prose().optional().openapi({ description: 'A complaint: required' }),
      category: z.enum(COMPLAINT_CATEGORIES).optional().openapi({ description: 'A complaint: corrects its category' }),
      ...StepTime,
    }),
    update: closeTicketUpdate,
  },
  {
    path: 'survey',
    summary: 'The customer’s satisfaction (return call or link): a low score or “not satisfied” reopens the ticket',
    body: z.strictObject({ score: z.number().int().min(1).max(5), comment: optionalLine(500).optional(), notSatisfied: z.boolean().optional(), ...StepTime }),
    update: surveyTicketUpdate,
  },
  {
    path: 'quote',
    summary: 'Out of scope: quote the repair (parts, labour, travel); work starts once the customer accepts',
    body: z.strictObject({ parts: z.array(PartSchema).max(100).default([]), labourMinutes: z.number().int().min(0).max(60_000), labourRate: MoneySchema, travel: MoneySchema, note: optionalLine(500).optional(), ...StepTime }),
    update: quoteTicketUpdate,
  },
  { path: 'quote-accepted', summary: 'The customer accepted the quote: work may start', body: z.strictObject({ ...StepTime }), update: quoteAcceptedTicketUpdate },
  { path: 'quote-refused', summary: 'The customer refused the quote: closed with advice only', body: z.strictObject({ ...StepTime }), update: quoteRefusedTicketUpdate },
  { path: 'backup-unit', summary: 'The backup unit due after a breached resolve clock is on site', body: z.strictObject({ serial: line(COLUMN.key), ...StepTime }), update: backupUnitTicketUpdate },
  { path: 'factory-repair', summary: 'The device went to factory repair (due back within sla.factoryRepairWithin), or came back repaired', body: z.strictObject({ action: z.enum(['sent', 'returned']), ...StepTime }), update: factoryRepairTicketUpdate },
  {
    path: 'replace',
    summary: 'Unrepairable: a free replacement, registered with its own warranty',
    body: z.strictObject({ serial: line(COLUMN.key), ...StepTime }),
    update: replaceTicketUpdate,
    prepare: async (body, deps) => {
      if (await new DevicesRepository(deps.knex).getBySerial(String(body.serial))) throw conflict(words('refusal.ticket.serialTaken', { serial: String(body.serial) }));
      return body;
    },
  },
  { path: 'reopen', summary: 'Reopen a resolved or closed ticket whose survey is still awaited', body: z.strictObject({ reason: prose(500), ...StepTime }), update: reopenTicketUpdate },
];

/**
 * One step on a ticket: its body already checked by the step's schema, the caller allowed to act on
 * the ticket, and receivedAt when the step came in (the step's time unless the body back-dates it).
 */
export async function takeTicketStep(deps: ApiDeps, user: User, ticketId: number, step: TicketStep, body: Record<string, unknown>, receivedAt: Date, locale: Locale, updateId?: string): Promise<TicketStepResult> {
  if (!deps.temporal) throw unavailable('No process engine configured');
  const ticket = (await new TicketsRepository(deps.knex).get(ticketId))!;
  // No role that acts on tickets reads dealer tasks: the refusal does not name the task.
  if (ticket.dealerTaskId !== null) throw conflict(words('refusal.ticket.routedToDealer', { ticket: ticket.id }));
  if (step.path === 'close') requireCloseRecord(ticket, body, locale);
  const { occurredAt, ...rest } = body as { occurredAt?: string } & Record<string, unknown>;
  const prepared = step.prepare ? await step.prepare(rest, deps) : rest;
  const payload = { ...prepared, actor: { userId: user.id, name: user.name, role: user.role }, occurredAt: occurredAt ? new Date(occurredAt).toISOString() : receivedAt.toISOString() };
  try {
    return (await deps.temporal.client.workflow.getHandle(ticket.workflowId ?? ticketWorkflowId(ticket.id)).executeUpdate(step.update, { args: [payload], ...(updateId ? { updateId } : {}) })) as TicketStepResult;
  } catch (error) {
    // The process has ended (and was not merely still starting): said as words, in the reader's language.
    const closed = `ticket ${ticket.id} is ${ticket.status}`;
    const answer = await stepFailureToApi(deps.knex, error, closed);
    throw answer.status === 409 && answer.message === closed && !answer.words ? conflict(words('refusal.ticket.ended', { ticket: ticket.id, status: ticket.status })) : answer;
  }
}

/** A complaint closes with its root cause and resolution (P3c); a repair's close takes neither. */
function requireCloseRecord(ticket: Ticket, body: Record<string, unknown>, locale: Locale): void {
  const fields = ['rootCause', 'resolution', 'category'] as const;
  const problems =
    ticket.kind === 'complaint'
      ? fields.filter((f) => f !== 'category' && body[f] === undefined).map((field) => ({ field, message: translate(locale, field === 'rootCause' ? 'refusal.ticket.closeNeedsRootCause' : 'refusal.ticket.closeNeedsResolution') }))
      : fields.filter((f) => body[f] !== undefined).map((field) => ({ field, message: translate(locale, 'refusal.ticket.closeOnlyComplaint') }));
  if (problems.length > 0) throw invalidFields(problems, locale);
}

/** The ticket steps by their path (`assign`, `acknowledge`, …), as the API takes them. */
export const TICKET_STEPS = TICKET_STEP_DEFINITIONS.map((step) => ({ path: step.path, action: step.action ?? ('act' as const) }));

/**
 * One ticket step for the console: the body checked by the API's own schema (a 400 names each field
 * as the API would), then taken as `POST /api/tickets/:id/<step>` takes it. The caller has checked
 * that the user may act on the ticket.
 */
export async function runTicketStep(deps: ApiDeps, user: User, ticketId: number, path: string, body: Record<string, unknown>, locale: Locale, receivedAt = new Date()): Promise<TicketStepResult> {
  const step = TICKET_STEP_DEFINITIONS.find((s) => s.path === path);
  if (!step) throw validationFailed([{ field: 'step', message: `no ticket step ${path}` }]);
  const parsed = parseOrRefuse(step.body, body, locale) as Record<string, unknown>;
  return takeTicketStep(deps, user, ticketId, step, parsed, receivedAt, locale);
}
