/** The ticket API's bodies and answers, as the routes declare them and the console's forms check them. */
import { COMPLAINT_CATEGORIES } from '../messages';
import { COLUMN, EmailSchema, IdSchema, line, MAX_ID, MoneySchema, optionalLine, prose } from '../../../platform/http/fields';
import { z } from '../../../platform/http/zod';

export const CHANNELS = ['phone', 'email', 'web', 'on_site'] as const;
export const LevelSchema = z.union([z.literal(1), z.literal(2), z.literal(3), z.literal(4)], { error: 'must be a fault level 1, 2, 3 or 4' });

export const ContactSchema = z.strictObject({ name: line(), email: EmailSchema, phone: optionalLine(COLUMN.phone).optional(), locale: z.enum(['zh-CN', 'en']).optional() });

export const CreateTicketBody = z
  .strictObject({
    kind: z.enum(['repair', 'complaint']).default('repair'),
    customerId: IdSchema,
    serial: line(COLUMN.key).optional().openapi({ description: 'The device; its warranty decides the entitlement' }),
    model: line().optional().openapi({ description: 'When the serial is unknown' }),
    symptom: prose(),
    level: LevelSchema.default(3),
    channel: z.enum(CHANNELS),
    contact: ContactSchema,
    engineerUserId: IdSchema.optional().openapi({ description: 'The engineer to dispatch at once; by default a repair goes to the customer’s one-to-one engineer, when one is set' }),
    category: z.enum(COMPLAINT_CATEGORIES).optional().openapi({ description: 'A complaint’s category: quality, not_quality or other (its responsible person is its assignee)' }),
  })
  .openapi('CreateTicket');

export const TicketIdParams = z.object({ id: z.coerce.number().int().min(1).max(MAX_ID) });

export const StepTime = { occurredAt: z.iso.datetime({ offset: true, error: 'must be an ISO-8601 instant with a zone' }).optional() };

export const ClockSchema = z.object({
  name: z.string(),
  round: z.number().openapi({ description: '0, or n for the resolve clock started anew by the n-th reopen' }),
  startedAt: z.string(),
  lengthMs: z.number(),
  dueAt: z.string().nullable(),
  elapsedMs: z.number(),
  pausedMs: z.number(),
  status: z.enum(['ok', 'warning', 'breached', 'paused', 'met', 'met_late']),
  stoppedAt: z.string().nullable(),
});

export const TicketSchema = z
  .object({
    id: z.number(),
    kind: z.enum(['repair', 'complaint']),
    status: z.string(),
    onHold: z.boolean(),
    level: z.number(),
    customerId: z.number(),
    serial: z.string().nullable(),
    model: z.string().nullable(),
    channel: z.string(),
    symptom: z.string(),
    entitlement: z.string(),
    assigneeUserId: z.number().nullable(),
    repeatOfTicketId: z.number().nullable(),
    carePlanId: z.number().nullable().openapi({ description: 'Opened from asset care: the care plan (null, like the follow-up, for a caller who may not read that plan; channel asset_care still says where it came from)' }),
    careFollowUpId: z.number().nullable().openapi({ description: 'Opened from asset care: the follow-up it answers (a return call’s low score or unsolved problem, or a visit’s finding)' }),
    dealerTaskId: z.number().nullable().openapi({ description: '三包: routed at intake to this dealer task (the ticket is closed as it opens); null for a caller who may not read that task (the timeline’s routed_to_dealer says it went to the dealer)' }),
    openedAt: z.string(),
    resolvedAt: z.string().nullable(),
    closedAt: z.string().nullable(),
    charges: z.unknown(),
    progress: z.record(z.string(), z.unknown()).openapi({ description: 'quote, backup unit, factory repair, replacement, surveys (and when one is due)' }),
    clocks: z.array(ClockSchema),
  })
  .openapi('Ticket');

export const TicketDetailSchema = TicketSchema.extend({
  timeline: z.array(z.object({ kind: z.string(), at: z.string(), actor: z.string().nullable(), summary: z.string(), data: z.unknown() })),
  returnCalls: z
    .array(z.object({ callId: z.number(), carePlanId: z.number(), taskKey: z.string(), status: z.string(), dueAt: z.string() }))
    .openapi({ description: 'The return calls its close put on the device’s care plan, those the caller may read (the timeline’s return_call_scheduled says one was planned)' }),
  careOrigin: z
    .object({ carePlanId: z.number(), followUpId: z.number(), reason: z.string(), callId: z.number().nullable(), visitId: z.number().nullable(), finding: z.number().nullable() })
    .nullable()
    .openapi({ description: 'Opened from asset care: the follow-up, and the return call or the visit (and which finding) behind it; null for a caller who may not read the plan, the call or visit null for one who may not read it' }),
}).openapi('TicketDetail');

export const StepResultSchema = z.object({ status: z.string(), level: z.number(), onHold: z.boolean(), at: z.string() }).openapi('TicketStepResult');

export const PartSchema = z.strictObject({ partNumber: line(64), quantity: z.number().int().min(1).max(10_000), unitCost: MoneySchema });

export const QUEUES = ['mine', 'unassigned', 'breaching_soon', 'breached', 'open', 'all'] as const;
export const ListQuery = z.object({
  queue: z.enum(QUEUES).default('open').openapi({ description: 'mine: assigned to me; unassigned; breaching_soon: a clock past its first warning; breached; open: not closed; all' }),
  kind: z.enum(['repair', 'complaint']).optional(),
  customerId: z.coerce.number().int().min(1).max(MAX_ID).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(200),
  offset: z.coerce.number().int().min(0).default(0),
});
