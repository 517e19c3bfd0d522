/**
 * Printable documents: a project's initial- and final-acceptance certificates, as HTML that prints
 * well (the print rules of console.css leave out the console's frame). Made from the step as the
 * workflow recorded it (the timeline event's data), so it says what was signed.
 *
 *   GET /projects/:id/certificates/initial  after initial acceptance passed
 *   GET /projects/:id/certificates/final    after final acceptance passed
 */
import { principalOf } from '../../../platform/http/access';
import { DevicesRepository } from '../../../installedBase/devices';
import { ProjectsRepository, type ProjectEvent } from '../repository';
import { canRead, projectFacts } from '../../../domain/access';
import type { ConsoleArea } from '../../../platform/console/context';
import { customerTimeZones, namesOf, positiveInt } from '../../../platform/console/kit';
import { translate, type MessageKey } from '../../../platform/i18n/catalogue';
import { CONSOLE_TIME_ZONE } from '../../../platform/console/views';

export const CERTIFICATES = { initial: 'initial_acceptance_passed', final: 'final_acceptance_passed' } as const;
type CertificateKind = keyof typeof CERTIFICATES;

interface Signature { name: string; party: string; signedAt?: string }
interface SignedStep {
  signatures?: Signature[];
  items?: Array<{ name: string; passed: boolean; signedBy?: string | null }>;
  leftoverIssues?: Array<{ title: string; description?: string | null }>;
  scores?: Record<string, number>;
}

/** The certificates a project has, for links on its page. */
export function certificateLinks(projectId: number, timeline: ProjectEvent[]): Array<{ href: string; kind: CertificateKind }> {
  return (Object.keys(CERTIFICATES) as CertificateKind[]).filter((kind) => timeline.some((e) => e.kind === CERTIFICATES[kind])).map((kind) => ({ kind, href: `/projects/${projectId}/certificates/${kind}` }));
}

export const documentsArea: ConsoleArea = {
  paths: ['/projects/:id/certificates/:kind'],
  register(router, ctx) {
    const projects = new ProjectsRepository(ctx.knex);
    const devices = new DevicesRepository(ctx.knex);

    router.get('/projects/:id/certificates/:kind', ctx.requireUser, async (req, res) => {
      const locale = ctx.localeOf(req, res);
      const t = (key: MessageKey, values?: Record<string, string>) => translate(locale, key, values);
      const id = positiveInt(req.params.id);
      const found = id === null ? null : await projects.get(id);
      const project = found && canRead(principalOf(ctx.signedInUser(res)!), projectFacts(found)) ? found : null;
      const kind = req.params.kind as CertificateKind;
      const notFound = () => ctx.message(req, res, 404, t('certificate.missing.title'), t('certificate.missing.text'));
      if (!project || !Object.prototype.hasOwnProperty.call(CERTIFICATES, kind)) return notFound();
      const timeline = await projects.timeline(project.id);
      const event = [...timeline].reverse().find((e) => e.kind === CERTIFICATES[kind]);
      if (!event) return notFound();
      const step = (event.data ?? {}) as SignedStep;
      const [deviceList, zones, customers] = await Promise.all([devices.listByProject(project.id), customerTimeZones(ctx.knex, [project.customerId]), namesOf(ctx.knex, 'customers', [project.customerId])]);
      const timeZone = zones.get(project.customerId) ?? CONSOLE_TIME_ZONE;
      const party = (code: string) => (code === 'customer' ? t('option.customer') : code === 'company' ? t('option.company') : code);
      ctx.send(req, res, 200, 'certificate', {
        title: `${t(kind === 'initial' ? 'certificate.initial' : 'certificate.final')} · ${project.contractNo}`,
        heading: t(kind === 'initial' ? 'certificate.initial' : 'certificate.final'),
        timeZone,
        projectHref: `/projects/${project.id}`,
        number: `${project.contractNo}-${kind === 'initial' ? 'IA' : 'FA'}`,
        project: { contractNo: project.contractNo, name: project.name, customer: customers.get(project.customerId) ?? '—', projectManager: project.projectManager.name },
        acceptedAt: event.at,
        statement: t(kind === 'initial' ? 'certificate.initialStatement' : 'certificate.finalStatement'),
        devices: deviceList.map((d) => ({ serial: d.serial, model: d.model, brand: d.brand })),
        items: (step.items ?? []).map((i) => ({ name: i.name, result: i.passed ? t('certificate.passed') : t('certificate.failed'), signedBy: i.signedBy ?? null })),
        leftoverIssues: (step.leftoverIssues ?? []).map((i) => ({ title: i.title })),
        final: kind === 'final' ? { score: project.qualityScore === null ? null : `${project.qualityScore} / 100`, warrantyStartsAt: project.warrantyStartsAt, warrantyEndsAt: project.warrantyEndsAt } : null,
        signatures: (step.signatures ?? []).map((sig) => ({ name: sig.name, party: party(sig.party), signedAt: sig.signedAt ?? event.at })),
      });
    });
  },
};
