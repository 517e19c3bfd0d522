/** Request and response schemas of the project-delivery API: they validate, type and document it. */
import { DOA_DAMAGE_CAUSES, PROJECT_STAGES, QUALITY_SCORE_WEIGHTS } from '../rules';
import { COLUMN, MAX_ID, DateSchema, EmailSchema, IdSchema, InstantSchema, line, MoneySchema, optionalLine, optionalProse, prose, TimeZoneSchema } from '../../../platform/http/fields';
import { LocaleSchema } from '../../../people/roles';
import { z } from '../../../platform/http/zod';

// Bodies are strict: a field we do not know is refused (400 "Unknown field"), never silently dropped.
export const PersonSchema = z.strictObject({ name: line(), email: EmailSchema, locale: LocaleSchema.optional() }).openapi('Person');

export const NewCustomerSchema = z
  .strictObject({
    name: line(),
    address: optionalProse(COLUMN.longText).optional(),
    class: z.enum(['key', 'long_term', 'regular']).default('regular'),
    timeZone: TimeZoneSchema.default('Asia/Shanghai').openapi({ description: 'IANA zone the customer’s notices show dates in' }),
    locale: LocaleSchema.default('zh-CN'),
    contacts: z
      .array(z.strictObject({ name: line(), email: EmailSchema, phone: optionalLine(COLUMN.phone).optional(), locale: LocaleSchema.optional(), role: line(COLUMN.role).default('interface') }))
      .min(1, 'at least one contact: notices go to the customer’s interface person')
      .max(100),
  })
  .openapi('NewCustomer');

export const ProjectDeviceSchema = z.strictObject({
  model: line(COLUMN.key),
  serial: line(COLUMN.key),
  brand: optionalLine(COLUMN.name).optional(),
  // Charged if a dead-on-arrival unit is not returned in time. (Described by the Money component: an .openapi() here would rewrite it.)
  catalogPrice: MoneySchema.optional(),
});

export const CreateProjectBody = z
  .strictObject({
    customer: NewCustomerSchema.optional(),
    customerId: IdSchema.optional(),
    contractNo: line(COLUMN.key),
    name: line(),
    projectManager: PersonSchema.openapi({ description: 'The project manager’s contact for notices' }),
    projectManagerUserId: IdSchema.optional().openapi({
      description: 'The project_manager user who manages the project (reads and acts on it). Defaults to the caller when a project manager starts it; otherwise to the active project manager with projectManager.email, if any',
    }),
    serviceManager: PersonSchema.optional().openapi({ description: 'Receives escalations; without one, every active service manager does' }),
    devices: z
      .array(ProjectDeviceSchema)
      .min(1)
      .max(1000)
      .refine((devices) => new Set(devices.map((d) => d.serial)).size === devices.length, 'serials must be unique'),
    policy: z.record(z.string(), z.unknown()).optional().openapi({
      description: 'Policy overrides for this contract. Commercial terms (warranty.*, doa.*, calendar.*, money and free-service terms) only a service manager may set: anyone else gets 403 naming the field. E.g. {"delivery": {"trialRun": "P3M", "initialAcceptanceRequired": false}, "doa": {"returnWithin": {"workingDays": 15}}, "warranty": {"startsAt": "finalAcceptance", "length": "P12M"}}',
    }),
  })
  .refine((body) => (body.customer === undefined) !== (body.customerId === undefined), { path: ['customer'], message: 'give either customer (a new one) or customerId, not both' })
  .openapi('CreateProjectBody');

export const AssignProjectBody = z.strictObject({ projectManagerUserId: IdSchema }).openapi('AssignProject');

export const ProjectIdParams = z.object({ id: z.coerce.number().int().min(1).max(MAX_ID) });
export const IssueParams = ProjectIdParams.extend({ issueId: line(64) });
export const DoaParams = ProjectIdParams.extend({ serial: line(COLUMN.key) });
export const ListProjectsQuery = z.object({ stage: z.enum(PROJECT_STAGES).optional(), limit: z.coerce.number().int().min(1).max(1000).optional(), offset: z.coerce.number().int().min(0).optional() });

const SignatureSchema = z.strictObject({ name: line(), party: z.enum(['customer', 'company']), signedAt: InstantSchema.optional() }).openapi('Signature');
const signatures = z.array(SignatureSchema).max(20).openapi({ description: 'Both sides sign: party customer and party company' });
const TestRecordSchema = z.strictObject({ name: line(), passed: z.boolean(), signatures });
// Lists are bounded so one step cannot grow the workflow's history without end.
const testRecords = z.array(TestRecordSchema).max(200);
const IssueInput = z.strictObject({ title: line(COLUMN.longText), description: optionalProse(5000).optional() });
const issues = z.array(IssueInput).max(200);
// Scores are whole points: the quality score (their sum) is stored as an integer out of 100.
const score = (max: number) => z.number().int('must be a whole number of points').min(0).max(max);

export const KickoffBody = z
  .strictObject({ meetingDate: DateSchema, plan: prose(), acceptanceItems: z.array(line(COLUMN.longText)).min(1).max(200), completionCriteria: prose() })
  .openapi('KickoffStep');
export const UnboxingBody = z
  .strictObject({
    items: z
      .array(z.strictObject({ serial: line(COLUMN.key), condition: z.enum(['ok', 'damaged']), damage: z.strictObject({ description: prose(), cause: z.enum(DOA_DAMAGE_CAUSES) }).optional() }))
      .min(1)
      .max(1000),
    signatures,
  })
  .openapi('UnboxingStep');
export const WeeklyReportBody = z.strictObject({ summary: prose(5000), testRecords: testRecords.optional() }).openapi('WeeklyReportStep');
export const InstallationCompleteBody = z.strictObject({ testRecords }).openapi('InstallationCompleteStep');
export const InitialAcceptanceBody = z
  .strictObject({ items: z.array(z.strictObject({ name: line(), passed: z.boolean(), signedBy: optionalLine() })).min(1).max(200), leftoverIssues: issues.optional(), signatures })
  .openapi('InitialAcceptanceStep');
export const TrialIssueBody = IssueInput.openapi('TrialIssueStep');
export const ResolveIssueBody = z.strictObject({ resolution: prose(5000) }).openapi('ResolveTrialIssueStep');
export const TrialReportBody = z.strictObject({ summary: prose(5000) }).openapi('TrialReportStep');
export const FinalAcceptanceBody = z
  .strictObject({
    passed: z.boolean(),
    signatures,
    scores: z
      .strictObject({
        hardware: score(QUALITY_SCORE_WEIGHTS.hardware),
        software: score(QUALITY_SCORE_WEIGHTS.software),
        documents: score(QUALITY_SCORE_WEIGHTS.documents),
        satisfaction: score(QUALITY_SCORE_WEIGHTS.satisfaction),
      })
      .optional()
      .openapi({ description: 'Required when passed, in whole points: hardware ≤30 + software ≤50 + documents ≤10 + satisfaction ≤10' }),
    issues: issues.optional().openapi({ description: 'Required when failed: they go back to a trial run' }),
  })
  .openapi('FinalAcceptanceStep');
export const HandoverBody = z.strictObject({ documents: z.array(z.strictObject({ name: line(), delivered: z.boolean() })).min(1).max(200), signatures }).openapi('HandoverStep');
export const CancelBody = z.strictObject({ reason: prose(2000) }).openapi('CancelStep');
export const DoaShippedBody = z.strictObject({ replacementSerial: line(COLUMN.key) }).openapi('DoaShippedStep');
export const DoaReceivedBody = z.strictObject({}).openapi('DoaReceivedStep');
export const DoaReturnedBody = z.strictObject({ acceptable: z.boolean(), note: optionalProse(2000).optional() }).openapi('DoaReturnedStep');

// Responses are documented loosely: their shape is the workflow state and the stored records.
export const ProjectSummarySchema = z
  .object({ id: z.number(), workflowId: z.string(), stage: z.enum(PROJECT_STAGES), contractNo: z.string(), name: z.string(), projectManagerUserId: z.number().nullable() })
  .openapi('ProjectSummary');
export const ProjectDetailSchema = z.record(z.string(), z.unknown()).openapi('ProjectDetail', { description: 'Stage, timeline, devices with warranty dates, trial, issues, DOA cases and pending deadlines' });
export const ProjectListSchema = z.object({ projects: z.array(z.record(z.string(), z.unknown())) }).openapi('ProjectList');
export const StepResultSchema = z.record(z.string(), z.unknown()).openapi('StepResult', { description: 'The process state after the step' });
