/**
 * The web console (PRODUCT §5), server-rendered with Handlebars from templates/_console/. Read-only
 * for now: work queue and project pages straight from the database; actions go through the JSON API.
 *
 *   GET  /               sign-in form (an API token), or on to /projects when already signed in
 *   POST /login          checks the token, sets the session cookie, 303 → /projects (401 if bad)
 *   POST /logout         clears the cookie, 303 → /
 *   GET  /projects       work queue: counts and filter per stage (?stage=…&page=…)
 *   GET  /projects/:id   stage, milestones, devices, trial, issues, DOA cases, timeline
 *
 * Mount it on the app from createApp (`app.use(createConsole({ knex }))`): it answers only the
 * paths above and passes everything else on.
 */
import express, { type NextFunction, type Request, type Response } from 'express';
import type { Knex } from 'knex';
import { DevicesRepository } from '../db/repositories/devices';
import { ProjectsRepository, type Project } from '../db/repositories/projects';
import { UsersRepository, type User } from '../db/repositories/users';
import { PROJECT_STAGES, type ProjectStage } from '../domain/delivery';
import { formatMoney } from '../domain/money';
import { clearSessionCookie, sameOrigin, sessionToken, setSessionCookie } from './session';
import { CONSOLE_TIME_ZONE, createRenderer, humanize, type Page, type Renderer } from './views';

export interface ConsoleDeps {
  knex: Knex;
  /** Where unexpected errors go; defaults to console. */
  logger?: { error(message: string, error: unknown): void };
}

const PAGE_SIZE = 50;
const USER = 'consoleUser';
/** Set once a request enters the console's routes, so the error handler leaves other mounts' errors alone. */
const IN_CONSOLE = 'inConsole';
const CONSOLE_PATHS = ['/', '/login', '/logout', '/projects', '/projects/:id'];

// Inline <style> only; no scripts, no external assets, no framing, forms post back here only.
const CONTENT_SECURITY_POLICY = "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

function send(res: Response, render: Renderer, status: number, page: Page, context: Record<string, unknown>): void {
  res
    .status(status)
    .set({
      'Content-Type': 'text/html; charset=utf-8',
      'Content-Security-Policy': CONTENT_SECURITY_POLICY,
      'X-Content-Type-Options': 'nosniff',
      'Referrer-Policy': 'no-referrer',
      // Pages show customer data to one signed-in user: never keep them in a shared or back-button cache.
      'Cache-Control': 'no-store',
    })
    .send(render(page, { user: null, timeZone: CONSOLE_TIME_ZONE, ...context }));
}

function signedInUser(res: Response): User {
  return res.locals[USER] as User;
}

function userView(user: User) {
  return { name: user.name, role: humanize(user.role) };
}

function isStage(value: unknown): value is ProjectStage {
  return typeof value === 'string' && (PROJECT_STAGES as readonly string[]).includes(value);
}

/** A positive integer from a path or query value, else null. */
function positiveInt(value: unknown): number | null {
  if (typeof value !== 'string' || !/^[1-9][0-9]{0,15}$/.test(value)) return null;
  const number = Number(value);
  return Number.isSafeInteger(number) ? number : null;
}

async function stageCounts(knex: Knex): Promise<Map<string, number>> {
  const rows = (await knex('projects').select('stage').count({ n: '*' }).groupBy('stage')) as Array<{ stage: string; n: number | string }>;
  return new Map(rows.map((row) => [row.stage, Number(row.n)]));
}

/** The 4xx status of an error that carries one (body-parser's), else null. */
function clientErrorStatus(error: unknown): number | null {
  const status = (error as { status?: unknown } | null)?.status;
  return typeof status === 'number' && status >= 400 && status < 500 ? status : null;
}

function queueRow(project: Project) {
  return {
    id: project.id,
    contractNo: project.contractNo,
    name: project.name,
    stage: humanize(project.stage),
    stageKey: project.stage,
    projectManager: project.projectManager.name,
    createdAt: project.createdAt,
  };
}

function queueHref(stage: ProjectStage | null, page = 1): string {
  const query = new URLSearchParams();
  if (stage) query.set('stage', stage);
  if (page > 1) query.set('page', String(page));
  const text = query.toString();
  return text ? `/projects?${text}` : '/projects';
}

export function createConsole(deps: ConsoleDeps): express.Router {
  const render = createRenderer();
  const logger = deps.logger ?? console;
  const users = new UsersRepository(deps.knex);
  const projects = new ProjectsRepository(deps.knex);
  const devices = new DevicesRepository(deps.knex);
  const router = express.Router();
  router.all(CONSOLE_PATHS, (_req: Request, res: Response, next: NextFunction) => {
    res.locals[IN_CONSOLE] = true;
    next();
  });

  const loginForm = (res: Response, status: number, error: string | null) => send(res, render, status, 'login', { title: 'Sign in', error });

  const currentUser = async (req: Request): Promise<User | null> => {
    const token = sessionToken(req);
    return token ? users.authenticate(token) : null;
  };

  /** Every page but the sign-in form: a valid session cookie, or back to the form. */
  const requireUser = async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    const user = await currentUser(req);
    if (!user) {
      if (sessionToken(req)) clearSessionCookie(req, res);
      res.redirect(303, '/');
      return;
    }
    res.locals[USER] = user;
    next();
  };

  router.get('/', async (req, res) => {
    if (await currentUser(req)) return res.redirect(303, '/projects');
    loginForm(res, 200, null);
  });

  router.post('/login', express.urlencoded({ extended: false, limit: '8kb' }), async (req, res) => {
    if (!sameOrigin(req)) return loginForm(res, 403, 'This form must be sent from the console itself.');
    const body = (req.body ?? {}) as Record<string, unknown>;
    const token = typeof body.token === 'string' ? body.token.trim() : '';
    if (token === '') return loginForm(res, 400, 'Enter an API token.');
    const user = await users.authenticate(token);
    if (!user) return loginForm(res, 401, 'That token is not valid: it is unknown or revoked, or its user is inactive.');
    setSessionCookie(req, res, token);
    res.redirect(303, '/projects');
  });

  router.post('/logout', (req, res) => {
    if (!sameOrigin(req)) return loginForm(res, 403, 'This form must be sent from the console itself.');
    clearSessionCookie(req, res);
    res.redirect(303, '/');
  });

  router.get('/projects', requireUser, async (req, res) => {
    const user = signedInUser(res);
    const rawStage = req.query.stage;
    if (rawStage !== undefined && !isStage(rawStage)) {
      return send(res, render, 400, 'message', { title: 'Unknown stage', user: userView(user), message: `There is no stage "${String(rawStage)}".` });
    }
    const stage = rawStage ?? null;
    const page = req.query.page === undefined ? 1 : positiveInt(req.query.page);
    if (page === null) return send(res, render, 400, 'message', { title: 'Bad page number', user: userView(user), message: 'The page must be a positive whole number.' });

    const [counts, rows] = await Promise.all([stageCounts(deps.knex), projects.list({ stage: stage ?? undefined, limit: PAGE_SIZE, offset: (page - 1) * PAGE_SIZE })]);
    const total = [...counts.values()].reduce((sum, n) => sum + n, 0);
    const matching = stage ? (counts.get(stage) ?? 0) : total;
    const first = rows.length > 0 ? (page - 1) * PAGE_SIZE + 1 : 0;
    send(res, render, 200, 'projects', {
      title: stage ? `Projects: ${humanize(stage)}` : 'Projects',
      user: userView(user),
      filters: [
        { label: 'All', count: total, href: queueHref(null), current: stage === null },
        ...PROJECT_STAGES.map((s) => ({ label: humanize(s), count: counts.get(s) ?? 0, href: queueHref(s), current: s === stage })),
      ],
      stage: stage ? humanize(stage) : null,
      projects: rows.map(queueRow),
      range: rows.length > 0 ? { first, last: first + rows.length - 1, of: matching } : null,
      previous: page > 1 ? queueHref(stage, page - 1) : null,
      next: page * PAGE_SIZE < matching ? queueHref(stage, page + 1) : null,
    });
  });

  router.get('/projects/:id', requireUser, async (req, res) => {
    const user = signedInUser(res);
    const id = positiveInt(req.params.id);
    const project = id === null ? null : await projects.get(id);
    if (!project) {
      return send(res, render, 404, 'message', { title: 'Project not found', user: userView(user), message: `There is no project ${String(req.params.id)}.` });
    }
    const [timeline, deviceList, issues, doaCases] = await Promise.all([
      projects.timeline(project.id),
      devices.listByProject(project.id),
      projects.trialIssues(project.id),
      projects.doaCases(project.id),
    ]);
    send(res, render, 200, 'project', {
      title: `${project.contractNo} · ${project.name}`,
      user: userView(user),
      project: {
        ...queueRow(project),
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
        { label: 'Created', at: project.createdAt },
        { label: 'Installation completed', at: project.installationCompletedAt },
        { label: 'Initial acceptance', at: project.initialAcceptedAt },
        { label: 'Trial run started', at: project.trialStartedAt },
        { label: 'Final acceptance', at: project.finalAcceptedAt },
        { label: 'Completed', at: project.completedAt },
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
        status: humanize(c.status),
        cause: humanize(c.cause),
        damageDescription: c.damageDescription,
        exclusion: c.exclusion,
        shipBy: c.shipBy,
        shippedAt: c.shippedAt,
        replacementSerial: c.replacementSerial,
        returnDue: c.returnDue,
        returnedAt: c.returnedAt,
        chargedAmount: c.chargedAmount === null ? null : formatMoney(c.chargedAmount, 'en-GB'),
        updatedAt: c.updatedAt,
      })),
      timeline: timeline.map((e) => ({
        at: e.at,
        actor: e.actor ? `${e.actor.name} (${humanize(e.actor.role)})` : null,
        kind: humanize(e.kind),
        summary: e.summary,
      })),
    });
  });

  // Errors from the pages above only; a failure never shows a stack trace to the browser.
  router.use((error: unknown, req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent || !res.locals[IN_CONSOLE]) return next(error);
    const user = res.locals[USER] as User | undefined;
    const status = clientErrorStatus(error);
    if (status) {
      // e.g. an oversized or malformed sign-in form, as body-parser reports it.
      return send(res, render, status, 'message', { title: 'Bad request', user: user ? userView(user) : null, message: 'The form could not be read.' });
    }
    logger.error(`[console] ${req.method} ${req.originalUrl} failed`, error);
    send(res, render, 500, 'message', { title: 'Something went wrong', user: user ? userView(user) : null, message: 'The page could not be shown. Try again; if it keeps failing, tell an administrator.' });
  });

  return router;
}
