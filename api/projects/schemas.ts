/** Request and response schemas of the project-delivery API: they validate, type and document it. */
import { DOA_DAMAGE_CAUSES, PROJECT_STAGES, QUALITY_SCORE_WEIGHTS } from '../../domain/delivery';
import { LocaleSchema } from '../roles';
import { z } from '../zod';

const text = (max = 2000) => z.string().trim().min(1).max(max);

export const PersonSchema = z.object({ name: text(191), email: z.email().max(191), locale: LocaleSchema.optional() }).openapi('Person');

export const NewCustomerSchema = z
  .object({
    name: text(191),
    address: z.string().trim().max(500).optional(),
    class: z.enum(['key', 'long_term', 'regular']).default('regular'),
    timeZone: z.string().default('Asia/Shanghai'),
    locale: LocaleSchema.default('zh-CN'),
    contacts: z
      .array(z.object({ name: text(191), email: z.email().max(191), phone: z.string().max(64).optional(), locale: LocaleSchema.optional(), role: z.string().max(64).default('interface') }))
      .min(1, 'at least one contact: notices go to the customer’s interface person'),
  })
  .openapi('NewCustomer');

export const ProjectDeviceSchema = z.object({
  model: text(191),
  serial: text(191),
  brand: z.string().trim().max(191).optional(),
  catalogPrice: z.number().nonnegative().optional().openapi({ description: 'Charged if a dead-on-arrival unit is not returned in time' }),
});

export const CreateProjectBody = z
  .object({
    customer: NewCustomerSchema.optional(),
    customerId: z.number().int().positive().optional(),
    contractNo: text(191),
    name: text(191),
    projectManager: PersonSchema.openapi({ description: 'The project manager’s contact for notices' }),
    projectManagerUserId: z.number().int().positive().optional().openapi({
      description: 'The project_manager user who manages the project (reads and acts on it). Defaults to the caller when a project manager starts it; otherwise to the active project manager with projectManager.email, if any',
    }),
    serviceManager: PersonSchema.optional().openapi({ description: 'Receives escalations; without one, every active service manager does' }),
    devices: z
      .array(ProjectDeviceSchema)
      .min(1)
      .refine((devices) => new Set(devices.map((d) => d.serial)).size === devices.length, 'serials must be unique'),
    policy: z.record(z.string(), z.unknown()).optional().openapi({
      description: 'Policy overrides for this contract. Commercial terms (warranty.*, doa.*, calendar.*, money and free-service terms) only a service manager may set: anyone else gets 403 naming the field. E.g. {"delivery": {"trialRun": "P3M", "initialAcceptanceRequired": false}, "doa": {"returnWithin": {"workingDays": 15}}, "warranty": {"startsAt": "finalAcceptance", "length": "P12M"}}',
    }),
  })
  .refine((body) => (body.customer === undefined) !== (body.customerId === undefined), { path: ['customer'], message: 'give either customer (a new one) or customerId, not both' })
  .openapi('CreateProjectBody');

export const AssignProjectBody = z.object({ projectManagerUserId: z.number().int().positive() }).openapi('AssignProject');

export const ProjectIdParams = z.object({ id: z.coerce.number().int().positive() });
export const IssueParams = ProjectIdParams.extend({ issueId: z.string().min(1).max(64) });
export const DoaParams = ProjectIdParams.extend({ serial: z.string().min(1).max(191) });
export const ListProjectsQuery = z.object({ stage: z.enum(PROJECT_STAGES).optional(), limit: z.coerce.number().int().min(1).max(1000).optional(), offset: z.coerce.number().int().min(0).optional() });

const SignatureSchema = z.object({ name: text(191), party: z.enum(['customer', 'company']), signedAt: z.string().optional() }).openapi('Signature');
const signatures = z.array(SignatureSchema).openapi({ description: 'Both sides sign: party customer and party company' });
const TestRecordSchema = z.object({ name: text(191), passed: z.boolean(), signatures });
const IssueInput = z.object({ title: text(500), description: z.string().max(5000).optional() });

export const KickoffBody = z.object({ meetingDate: z.iso.date(), plan: text(), acceptanceItems: z.array(text(500)).min(1), completionCriteria: text() }).openapi('KickoffStep');
export const UnboxingBody = z
  .object({
    items: z
      .array(z.object({ serial: text(191), condition: z.enum(['ok', 'damaged']), damage: z.object({ description: text(), cause: z.enum(DOA_DAMAGE_CAUSES) }).optional() }))
      .min(1),
    signatures,
  })
  .openapi('UnboxingStep');
export const WeeklyReportBody = z.object({ summary: text(5000), testRecords: z.array(TestRecordSchema).optional() }).openapi('WeeklyReportStep');
export const InstallationCompleteBody = z.object({ testRecords: z.array(TestRecordSchema) }).openapi('InstallationCompleteStep');
export const InitialAcceptanceBody = z
  .object({ items: z.array(z.object({ name: text(191), passed: z.boolean(), signedBy: z.string().max(191) })).min(1), leftoverIssues: z.array(IssueInput).optional(), signatures })
  .openapi('InitialAcceptanceStep');
export const TrialIssueBody = IssueInput.openapi('TrialIssueStep');
export const ResolveIssueBody = z.object({ resolution: text(5000) }).openapi('ResolveTrialIssueStep');
export const TrialReportBody = z.object({ summary: text(5000) }).openapi('TrialReportStep');
export const FinalAcceptanceBody = z
  .object({
    passed: z.boolean(),
    signatures,
    scores: z
      .object({
        hardware: z.number().min(0).max(QUALITY_SCORE_WEIGHTS.hardware),
        software: z.number().min(0).max(QUALITY_SCORE_WEIGHTS.software),
        documents: z.number().min(0).max(QUALITY_SCORE_WEIGHTS.documents),
        satisfaction: z.number().min(0).max(QUALITY_SCORE_WEIGHTS.satisfaction),
      })
      .optional()
      .openapi({ description: 'Required when passed: hardware ≤30 + software ≤50 + documents ≤10 + satisfaction ≤10' }),
    issues: z.array(IssueInput).optional().openapi({ description: 'Required when failed: they go back to a trial run' }),
  })
  .openapi('FinalAcceptanceStep');
export const HandoverBody = z.object({ documents: z.array(z.object({ name: text(191), delivered: z.boolean() })).min(1), signatures }).openapi('HandoverStep');
export const CancelBody = z.object({ reason: text(2000) }).openapi('CancelStep');
export const DoaShippedBody = z.object({ replacementSerial: text(191) }).openapi('DoaShippedStep');
export const DoaReceivedBody = z.object({}).openapi('DoaReceivedStep');
export const DoaReturnedBody = z.object({ acceptable: z.boolean(), note: z.string().max(2000).optional() }).openapi('DoaReturnedStep');

// Responses are documented loosely: their shape is the workflow state and the stored records.
export const ProjectSummarySchema = z
  .object({ id: z.number(), workflowId: z.string(), stage: z.enum(PROJECT_STAGES), contractNo: z.string(), name: z.string(), projectManagerUserId: z.number().nullable() })
  .openapi('ProjectSummary');
export const ProjectDetailSchema = z.record(z.string(), z.unknown()).openapi('ProjectDetail', { description: 'Stage, timeline, devices with warranty dates, trial, issues, DOA cases and pending deadlines' });
export const ProjectListSchema = z.object({ projects: z.array(z.record(z.string(), z.unknown())) }).openapi('ProjectList');
export const StepResultSchema = z.record(z.string(), z.unknown()).openapi('StepResult', { description: 'The process state after the step' });
