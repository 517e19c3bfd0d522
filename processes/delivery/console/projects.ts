/**
 * Projects (P1): the work queue and a project's page, straight from the database.
 *
 *   GET /projects      work queue: counts and filter per stage (?stage=…&page=…)
 *   GET /projects/:id  stage, milestones, devices, trial, issues, DOA cases, timeline
 */
import { principalOf } from '../../../platform/http/access';
import { DevicesRepository } from '../../../installedBase/devices';
import { ProjectAccessRepository } from '../projectAccess';
import { ProjectsRepository, type Project } from '../repository';
import { canRead, projectFacts, readScope } from '../../../domain/access';
import { PROJECT_STAGES, type ProjectStage } from '../rules';
import { formatMoney } from '../../../domain/money';
import type { ConsoleArea } from '../../../platform/console/context';
import { customerTimeZones, exportLinks, PAGE_SIZE, positiveInt } from '../../../platform/console/kit';
import { isMessageKey, say, translate, type MessageKey } from '../../../platform/i18n/catalogue';
import type { Locale } from '../../../people/roles';
import { certificateLinks } from './documents';
import { stepLinks } from './projectSteps';
import { CONSOLE_TIME_ZONE, humanize, label } from '../../../platform/console/views';

/**
 * A code of this area in the page's language: a DOA case's status or cause, or a timeline kind (a DOA
 * kind may carry a moved instant after a colon); humanized when the catalogue lacks it.
 */
export function codeLabel(locale: Locale, prefix: 'status.doa' | 'cause.doa' | 'kind.project', value: string): string {
  const key = `${prefix}.${value.split(':')[0]}`;
  return isMessageKey(key) ? translate(locale, key) : humanize(value);
}

function isStage(value: unknown): value is ProjectStage {
  return typeof value === 'string' && (PROJECT_STAGES as readonly string[]).includes(value);
}

function queueHref(stage: ProjectStage | null, page = 1): string {
  const query = new URLSearchParams();
  if (stage) query.set('stage', stage);
  if (page > 1) query.set('page', String(page));
  const text = query.toString();
  return text ? `/projects?${text}` : '/projects';
}

export const projectsArea: ConsoleArea = {
  paths: ['/projects', '/projects/:id'],
  nav: [{ href: '/projects', label: 'nav.projects' }],
  register(router, ctx) {
    const { t, message, send, localeOf, signedInUser, requireUser } = ctx;
    const projects = new ProjectsRepository(ctx.knex);
    const devices = new DevicesRepository(ctx.knex);
    const projectAccess = new ProjectAccessRepository(ctx.knex);

    router.get('/projects', requireUser, async (req, res) => {
      const locale = localeOf(req, res);
      const rawStage = req.query.stage;
      if (rawStage !== undefined && !isStage(rawStage)) {
        return message(req, res, 400, t(req, res, 'message.badStage.title'), t(req, res, 'message.badStage.text', { stage: String(rawStage) }));
      }
      const stage = rawStage ?? null;
      const page = req.query.page === undefined ? 1 : positiveInt(req.query.page);
      if (page === null) return message(req, res, 400, t(req, res, 'message.badPage.title'), t(req, res, 'message.badPage.text'));

      // Only what the user may read (domain/access.ts), in the rows and in every count.
      const scope = readScope(principalOf(signedInUser(res)!), 'project');
      const [counts, rows] = await Promise.all([
        projectAccess.stageCounts(scope),
        projects.list({ stage: stage ?? undefined, limit: PAGE_SIZE, offset: (page - 1) * PAGE_SIZE, scope }),
      ]);
      const zones = await customerTimeZones(ctx.knex, rows.map((p) => p.customerId));
      const total = [...counts.values()].reduce((sum, n) => sum + n, 0);
      const matching = stage ? (counts.get(stage) ?? 0) : total;
      const first = rows.length > 0 ? (page - 1) * PAGE_SIZE + 1 : 0;
      const queueTitle = t(req, res, 'queue.title');
      send(req, res, 200, 'projects', {
        title: stage ? `${queueTitle}: ${label(locale, 'stage', stage)}` : queueTitle,
        filters: [
          { label: t(req, res, 'queue.all'), count: total, href: queueHref(null), current: stage === null },
          ...PROJECT_STAGES.map((s) => ({ label: label(locale, 'stage', s), count: counts.get(s) ?? 0, href: queueHref(s), current: s === stage })),
        ],
        stage,
        exports: exportLinks('projects', stage ? `stage=${stage}` : ''),
        projects: rows.map((project: Project) => ({
          id: project.id,
          contractNo: project.contractNo,
          name: project.name,
          stage: label(locale, 'stage', project.stage),
          stageKey: project.stage,
          projectManager: project.projectManager.name,
          createdAt: project.createdAt,
          timeZone: zones.get(project.customerId) ?? CONSOLE_TIME_ZONE,
        })),
        range: rows.length > 0 ? { first, last: first + rows.length - 1, of: matching } : null,
        previous: page > 1 ? queueHref(stage, page - 1) : null,
        next: page * PAGE_SIZE < matching ? queueHref(stage, page + 1) : null,
      });
    });

    router.get('/projects/:id', requireUser, async (req, res) => {
      const locale = localeOf(req, res);
      const id = positiveInt(req.params.id);
      const found = id === null ? null : await projects.get(id);
      // Another party's project is shown exactly like one that does not exist.
      const project = found && canRead(principalOf(signedInUser(res)!), projectFacts(found)) ? found : null;
      if (!project) {
        return message(req, res, 404, t(req, res, 'message.notFound.title'), t(req, res, 'message.notFound.text', { id: String(req.params.id) }));
      }
      const [timeline, deviceList, issues, doaCases, zones] = await Promise.all([
        projects.timeline(project.id),
        devices.listByProject(project.id),
        projects.trialIssues(project.id),
        projects.doaCases(project.id),
        customerTimeZones(ctx.knex, [project.customerId]),
      ]);
      const milestone = (key: MessageKey, at: Date | null) => ({ label: t(req, res, key), at });
      const done = typeof req.query.done === 'string' && isMessageKey(`step.${req.query.done}`) ? t(req, res, 'steps.done', { step: t(req, res, `step.${req.query.done}` as MessageKey) }) : null;
      send(req, res, 200, 'project', {
        done,
        steps: stepLinks(locale, signedInUser(res)!, project, doaCases, issues),
        certificates: certificateLinks(project.id, timeline).map((c) => ({ href: c.href, label: t(req, res, c.kind === 'initial' ? 'certificate.initial' : 'certificate.final') })),
        title: `${project.contractNo} · ${project.name}`,
        // The record's zone: every time on this page is the customer's local time.
        timeZone: zones.get(project.customerId) ?? CONSOLE_TIME_ZONE,
        project: {
          contractNo: project.contractNo,
          name: project.name,
          stage: label(locale, 'stage', project.stage),
          stageKey: project.stage,
          projectManager: `${project.projectManager.name} <${project.projectManager.email}>`,
          serviceManager: project.serviceManager ? `${project.serviceManager.name} <${project.serviceManager.email}>` : null,
          qualityScore: project.qualityScore === null ? null : `${project.qualityScore} / 100`,
          cancelReason: project.cancelReason,
          warrantyStartsAt: project.warrantyStartsAt,
          warrantyEndsAt: project.warrantyEndsAt,
          workflowId: project.workflowId,
          updatedAt: project.updatedAt,
        },
        milestones: [
          milestone('milestone.created', project.createdAt),
          milestone('milestone.installationCompleted', project.installationCompletedAt),
          milestone('milestone.initialAcceptance', project.initialAcceptedAt),
          milestone('milestone.trialStarted', project.trialStartedAt),
          milestone('milestone.finalAcceptance', project.finalAcceptedAt),
          milestone('milestone.completed', project.completedAt),
        ],
        trial: project.trialStartedAt ? { startedAt: project.trialStartedAt, endsAt: project.trialEndsAt, extensions: project.trialExtensions } : null,
        devices: deviceList.map((d) => ({
          serial: d.serial,
          model: d.model,
          brand: d.brand,
          status: d.status,
          installedAt: d.installedAt,
          warrantyStartsAt: d.warrantyStartsAt,
          warrantyEndsAt: d.warrantyEndsAt,
        })),
        trialIssues: issues.map((i) => ({
          key: i.issueKey,
          title: i.title,
          description: i.description,
          round: i.round,
          loggedAt: i.loggedAt,
          resolvedAt: i.resolvedAt,
          resolution: i.resolution,
        })),
        doaCases: doaCases.map((c) => ({
          serial: c.serial,
          status: codeLabel(locale, 'status.doa', c.status),
          cause: codeLabel(locale, 'cause.doa', c.cause),
          damageDescription: c.damageDescription,
          // Why the cause is not dead-on-arrival, in the page's language (the row keeps the English reason).
          exclusion: c.exclusion === null ? null : say(locale, { key: 'exclusion.doa', params: { cause: c.cause } }, c.exclusion),
          shipBy: c.shipBy,
          shippedAt: c.shippedAt,
          replacementSerial: c.replacementSerial,
          returnDue: c.returnDue,
          returnedAt: c.returnedAt,
          chargedAmount: c.chargedAmount === null ? null : formatMoney(c.chargedAmount, locale === 'zh-CN' ? 'zh-CN' : 'en-GB'),
          updatedAt: c.updatedAt,
        })),
        timeline: timeline.map((e) => ({
          at: e.at,
          actor: e.actor ? `${e.actor.name} (${label(locale, 'role', e.actor.role)})` : null,
          kind: codeLabel(locale, 'kind.project', e.kind),
          // Said in the page's language; a row stored before words keeps its English sentence.
          summary: say(locale, e.words, e.summary),
        })),
      });
    });
  },
};
