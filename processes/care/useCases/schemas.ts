/** P4 asset care: request and answer schemas of the care-plan, visit and call routes. */
import { COLUMN, DateSchema, IdSchema, InstantSchema, line, MAX_ID, optionalLine, optionalProse, prose } from '../../../platform/http/fields';
import { z } from '../../../platform/http/zod';

export const IdParams = z.object({ id: z.coerce.number().int().min(1).max(MAX_ID) });
export const FollowUpParams = IdParams.extend({ followUpId: z.coerce.number().int().min(1).max(MAX_ID) });

/** When the step happened; the API fills in when it received it. */
export const StepTime = { occurredAt: InstantSchema.optional() };

export const CreateCarePlanBody = z
  .strictObject({
    customerId: IdSchema,
    siteId: IdSchema.optional().openapi({ description: 'One of the customer’s sites' }),
    devices: z
      .array(
        z.strictObject({
          serial: line(COLUMN.key),
          model: line().optional().openapi({ description: 'Required for a device not registered yet (it is registered with the plan)' }),
        }),
      )
      .min(1)
      .max(500),
    startDate: DateSchema.openapi({ description: 'Warranty start (sale, or when the equipment was accepted): ages count from here, in the customer’s time zone' }),
    warrantyEndsOn: DateSchema.optional().openapi({ description: 'Last day of the warranty; by default startDate + the policy’s warranty.length' }),
  })
  .openapi('CreateCarePlan');

export const EndCarePlanBody = z.strictObject({ reason: prose(500), ...StepTime }).openapi('EndCarePlan');

export const MaintenanceContractBody = z
  .strictObject({
    startsAt: InstantSchema,
    endsAt: InstantSchema,
    visitsPerYear: z.number().int().min(1).max(366).openapi({ description: 'At least care.postWarrantyVisitsPerYear' }),
    ...StepTime,
  })
  .openapi('AddMaintenanceContract');

export const CloseFollowUpBody = z.strictObject({ outcome: prose(2000).openapi({ description: 'What was done: called back, a ticket or complaint opened (its number), nothing needed' }), ...StepTime }).openapi('CloseFollowUp');

export const ExtraVisitBody = z.strictObject({ dueAt: InstantSchema, reason: prose(500).openapi({ description: 'Why, e.g. before the customer’s major event (escort inspection)' }), engineerUserId: IdSchema.optional(), ...StepTime }).openapi('AddExtraVisit');

const TASK_STATUSES = ['due', 'overdue', 'done'] as const;

export const TaskListQuery = z.object({
  assignee: z
    .union([z.literal('me'), z.coerce.number().int().min(1).max(MAX_ID)])
    .optional()
    .openapi({ description: 'A user id, or `me`' }),
  dueBefore: InstantSchema.optional(),
  status: z.enum(TASK_STATUSES).optional().openapi({ description: 'due: open, window not closed yet; overdue: open, window closed; done: done, skipped, cancelled or given up' }),
  customerId: z.coerce.number().int().min(1).max(MAX_ID).optional(),
  projectId: z.coerce.number().int().min(1).max(MAX_ID).optional(),
  planId: z.coerce.number().int().min(1).max(MAX_ID).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(200),
});

export const PlanListQuery = z.object({
  status: z.enum(['active', 'ended']).optional(),
  customerId: z.coerce.number().int().min(1).max(MAX_ID).optional(),
  projectId: z.coerce.number().int().min(1).max(MAX_ID).optional(),
  serial: line(COLUMN.key).optional().openapi({ description: 'Plans covering this device' }),
  limit: z.coerce.number().int().min(1).max(500).default(200),
  offset: z.coerce.number().int().min(0).default(0),
});

// ---------------------------------------------------------------------------------------------
// Steps on visits and calls

export const VisitStepBodies = {
  assign: z.strictObject({ engineerUserId: IdSchema, ...StepTime }),
  reschedule: z.strictObject({ dueAt: InstantSchema, reason: prose(500), ...StepTime }),
  complete: z.strictObject({
    checklist: z.strictObject({
      earthing: z.boolean(),
      dustRemoval: z.boolean(),
      operatingState: line(500),
      customerFeedback: optionalProse().optional(),
      fixesDone: optionalProse().optional(),
    }),
    findings: z.array(line(500)).max(100).default([]),
    openItems: z.array(line(500)).max(100).optional().openapi({ description: 'Left for the next visit (a partly done inspection)' }),
    signature: z.strictObject({ name: line(), signedAt: InstantSchema.optional() }),
    ...StepTime,
  }),
  skip: z.strictObject({ reason: prose(500), ...StepTime }),
  cancel: z.strictObject({ reason: prose(500), ...StepTime }),
} as const;

export const CallStepBodies = {
  complete: z.strictObject({
    contactId: IdSchema.optional().openapi({ description: 'The contact reached' }),
    answers: z.strictObject({ usage: prose(), mastery: prose(), problems: optionalProse().optional(), suggestions: optionalProse().optional() }),
    satisfaction: z.number().int().min(1).max(5),
    unsolvedProblem: z.boolean().optional().openapi({ description: 'A problem that could not be solved on the call: opens a follow-up' }),
    ...StepTime,
  }),
  'no-answer': z.strictObject({ contactId: IdSchema.optional(), note: optionalLine(1000).optional(), ...StepTime }),
  'wrong-number': z.strictObject({ contactId: IdSchema, note: optionalLine(1000).optional(), ...StepTime }),
  reschedule: z.strictObject({ dueAt: InstantSchema, reason: prose(500), ...StepTime }),
} as const;

export type VisitStepName = keyof typeof VisitStepBodies;
export type CallStepName = keyof typeof CallStepBodies;

// ---------------------------------------------------------------------------------------------
// Answers

const nullableInstant = z.string().nullable();

export const VisitSchema = z
  .object({
    id: z.number(),
    planId: z.number(),
    customerId: z.number(),
    projectId: z.number().nullable(),
    taskKey: z.string(),
    kind: z.string().openapi({ description: 'inspection, free_maintenance, contract_visit, extra' }),
    status: z.string().openapi({ description: 'due, done, skipped, cancelled' }),
    queue: z.enum(TASK_STATUSES),
    assigneeUserId: z.number().nullable(),
    dueAt: z.string(),
    windowStart: z.string(),
    windowEnd: z.string(),
    remindAt: z.string(),
    doneAt: nullableInstant,
    reportDueAt: nullableInstant,
    outcome: z.unknown(),
  })
  .openapi('CareVisit');

export const CallSchema = z
  .object({
    id: z.number(),
    planId: z.number(),
    customerId: z.number(),
    projectId: z.number().nullable(),
    taskKey: z.string(),
    status: z.string().openapi({ description: 'due, done, unreached, cancelled' }),
    queue: z.enum(TASK_STATUSES),
    assigneeUserId: z.number().nullable(),
    dueAt: z.string(),
    windowEnd: z.string(),
    remindAt: z.string(),
    attempts: z.number(),
    doneAt: nullableInstant,
    outcome: z.unknown(),
    contacts: z.array(z.object({ id: z.number(), name: z.string(), phone: z.string().nullable(), email: z.string(), role: z.string(), wrongNumber: z.boolean() })).openapi({ description: 'Whom to call, and the script’s questions are usage, mastery, problems, satisfaction 1–5, suggestions' }),
    ticketId: z.number().nullable().openapi({ description: 'A return call after a closed repair: its ticket (null in a plan’s read for a caller who may not read that ticket)' }),
  })
  .openapi('CareCall');

export const FollowUpSchema = z
  .object({ id: z.number(), key: z.string(), reason: z.string(), status: z.string(), summary: z.string(), dueAt: z.string(), callId: z.number().nullable(), visitId: z.number().nullable(), ticketId: z.number().nullable().openapi({ description: 'The ticket or complaint opened to answer it (null for a caller who may not read it)' }), outcome: z.string().nullable(), closedAt: nullableInstant })
  .openapi('CareFollowUp');

export const CarePlanSchema = z
  .object({
    id: z.number(),
    status: z.enum(['active', 'ended']),
    customerId: z.number(),
    customerName: z.string(),
    siteId: z.number().nullable(),
    projectId: z.number().nullable(),
    customerClass: z.string(),
    warrantyStartsAt: z.string().openapi({ description: 'The anchor: ages count from here' }),
    warrantyEndsAt: nullableInstant,
    contracts: z.array(z.object({ id: z.string(), startsAt: z.string(), endsAt: z.string(), visitsPerYear: z.number() })),
    endReason: z.string().nullable(),
    endedAt: nullableInstant,
    createdAt: z.string(),
  })
  .openapi('CarePlan');

export const CarePlanDetailSchema = CarePlanSchema.extend({
  devices: z.array(z.object({ id: z.number(), serial: z.string(), model: z.string(), warrantyEndsAt: nullableInstant })),
  nextTasks: z.object({ visits: z.array(VisitSchema), calls: z.array(CallSchema) }).openapi({ description: 'Open tasks (materialized up to care.taskHorizon ahead), soonest first' }),
  pastTasks: z.object({ visits: z.array(VisitSchema), calls: z.array(CallSchema) }).openapi({ description: 'Done, skipped, cancelled or given up, latest first' }),
  followUps: z.array(FollowUpSchema),
  timeline: z.array(z.object({ kind: z.string(), at: z.string(), summary: z.string(), data: z.unknown() })),
}).openapi('CarePlanDetail');

export const CareStepResultSchema = z.object({ taskKey: z.string().optional(), status: z.string(), at: z.string(), dueAt: z.string().optional(), followUp: z.boolean().optional(), ticketSurvey: z.enum(['surveyed', 'reopened', 'not_taken']).optional().openapi({ description: "A repair's return call: what its ticket made of the answers as its survey" }) }).openapi('CareStepResult');
