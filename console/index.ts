/**
 * The web console (PRODUCT §5), server-rendered with Handlebars from templates/_console/. Read-only
 * for now: work queue and project pages straight from the database; actions go through the JSON API.
 *
 *   GET  /                   sign-in form (an API token), or on to /projects when signed in
 *   POST /login              checks the token, opens a session, 303 → /projects (401 if bad, 429 when rate-limited)
 *   POST /logout             revokes the session, 303 → /?ended=signed_out
 *   POST /locale             switches the language (kept on the user when signed in), 303 → back
 *   GET  /projects           work queue: counts and filter per stage (?stage=…&page=…)
 *   GET  /projects/:id       stage, milestones, devices, trial, issues, DOA cases, timeline
 *   GET  /tickets            ticket work queues (open, mine, unassigned, at risk, breached) with their clocks
 *   GET  /tickets/:id        a ticket: its clocks (due, elapsed, paused, status) and timeline
 *   GET  /assets/console.css the one stylesheet (the content policy allows nothing else)
 *
 * Every POST needs the form's CSRF token (console/security.ts). Mount it on the app from createApp
 * (`app.use(createConsole({ knex }))`): it answers only the paths above and passes everything else on.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import cookieParser from 'cookie-parser';
import express, { type NextFunction, type Request, type Response } from 'express';
import type { Knex } from 'knex';
import { requestIdOf } from '../api/requestId';
import { LOCALES, type Locale } from '../api/roles';
import { AuditRepository } from '../db/repositories/audit';
import { ConsoleSessionsRepository } from '../db/repositories/consoleSessions';
import { principalOf } from '../api/access';
import { DevicesRepository } from '../db/repositories/devices';
import { ProjectAccessRepository } from '../db/repositories/projectAccess';
import { ProjectsRepository, type Project } from '../db/repositories/projects';
import { TicketsRepository } from '../db/repositories/tickets';
import { ticketView } from '../api/tickets/view';
import { UsersRepository, type User } from '../db/repositories/users';
import { DEFAULT_SESSION_LIMITS, type SessionLimits, type SessionVerdict } from '../domain/consoleSession';
import { canRead, projectFacts, readScope, ticketFacts, type Role } from '../domain/access';
import { PROJECT_STAGES, type ProjectStage } from '../domain/delivery';
import { emptyForm, formValues, formWithFieldError, formWithProblem, type FormState } from './forms';
import { LOCALE_NAMES, translate, type MessageKey } from './messages';
import { consoleSecurityHeaders, createCsrf, DEFAULT_SIGN_IN_LIMIT, signInRateLimit, type SignInLimit } from './security';
import { clearSessionCookie, SESSION_COOKIE, sessionIdOf, setLocaleCookie, setSessionCookie, signedOutLocale } from './session';
import { CONSOLE_TIME_ZONE, consoleTemplatesDir, createRenderer, humanize, label, type Page, type PageBase } from './views';
import { formatMoney } from '../domain/money';

export interface ConsoleDeps {
  knex: Knex;
  /** Where unexpected errors go; defaults to console. */
  logger?: { error(message: string, error: unknown): void };
  /** Idle and absolute session lifetimes; default 12 hours and 7 days. */
  sessionLimits?: SessionLimits;
  /** Failed sign-ins allowed per client address and window; default 10 per 15 minutes. */
  signInLimit?: SignInLimit;
  /** Key of the CSRF tokens; default random per process. */
  csrfSecret?: string;
  /** The clock, for tests of expiry. */
  now?: () => Date;
}

const PAGE_SIZE = 50;
const USER = 'consoleUser';
const ENDED = 'consoleSessionEnded';
/** Set once a request enters the console's routes, so the error handler leaves other mounts' errors alone. */
const IN_CONSOLE = 'inConsole';
const STYLESHEET_PATH = '/assets/console.css';
const CONSOLE_PATHS = ['/', '/login', '/logout', '/locale', '/projects', '/projects/:id', '/tickets', '/tickets/:id', STYLESHEET_PATH];
const FORM_BODY = express.urlencoded({ extended: false, limit: '8kb' });

/** Why the sign-in page is shown again, as `/?ended=…`. */
const ENDED_NOTICES: Record<string, MessageKey> = {
  signed_out: 'signin.signedOut',
  idle: 'signin.ended.idle',
  expired: 'signin.ended.expired',
  token_revoked: 'signin.ended.revoked',
  user_deactivated: 'signin.ended.revoked',
};

function signedInUser(res: Response): User | null {
  return (res.locals[USER] as User | undefined) ?? null;
}

function localeOf(req: Request, res: Response): Locale {
  return signedInUser(res)?.locale ?? signedOutLocale(req);
}

function isStage(value: unknown): value is ProjectStage {
  return typeof value === 'string' && (PROJECT_STAGES as readonly string[]).includes(value);
}

function isLocale(value: unknown): value is Locale {
  return typeof value === 'string' && (LOCALES as readonly string[]).includes(value);
}

/** A path on this site to return to: `/…` but never `//host…` (that would leave the site). */
function localPath(value: unknown, fallback: string): string {
  return typeof value === 'string' && /^\/(?![/\\])[^\s]*$/.test(value) ? value : fallback;
}

/** A positive integer from a path or query value, else null. */
function positiveInt(value: unknown): number | null {
  if (typeof value !== 'string' || !/^[1-9][0-9]{0,15}$/.test(value)) return null;
  const number = Number(value);
  return Number.isSafeInteger(number) ? number : null;
}

/** Each customer's time zone: a project's times are shown in its customer's zone. */
async function customerTimeZones(knex: Knex, customerIds: number[]): Promise<Map<number, string>> {
  if (customerIds.length === 0) return new Map();
  const rows = (await knex('customers').whereIn('id', [...new Set(customerIds)]).select('id', 'time_zone')) as Array<{ id: number; time_zone: string }>;
  return new Map(rows.map((row) => [Number(row.id), row.time_zone]));
}

/** The 4xx status of an error that carries one (body-parser's), else null. */
function clientErrorStatus(error: unknown): number | null {
  const status = (error as { status?: unknown } | null)?.status;
  return typeof status === 'number' && status >= 400 && status < 500 ? status : null;
}

function queueHref(stage: ProjectStage | null, page = 1): string {
  const query = new URLSearchParams();
  if (stage) query.set('stage', stage);
  if (page > 1) query.set('page', String(page));
  const text = query.toString();
  return text ? `/projects?${text}` : '/projects';
}

function readStylesheet(): string {
  return fs.readFileSync(path.join(consoleTemplatesDir(), 'console.css'), 'utf8');
}

export function createConsole(deps: ConsoleDeps): express.Router {
  const render = createRenderer();
  const stylesheet = readStylesheet();
  const logger = deps.logger ?? console;
  const now = deps.now ?? (() => new Date());
  const limits = deps.sessionLimits ?? DEFAULT_SESSION_LIMITS;
  const csrf = createCsrf(deps.csrfSecret);
  const users = new UsersRepository(deps.knex);
  const sessions = new ConsoleSessionsRepository(deps.knex);
  const projects = new ProjectsRepository(deps.knex);
  const tickets = new TicketsRepository(deps.knex);
  const devices = new DevicesRepository(deps.knex);
  const projectAccess = new ProjectAccessRepository(deps.knex);
  const auditLog = new AuditRepository(deps.knex);
  const router = express.Router();

  /**
   * The console's state changes go into the same audit trail as the API's. Never with a token or
   * a session id; a failed sign-in has no actor.
   */
  const audit = (req: Request, res: Response, entry: { statusCode: number; user: User | null; sessionRowId?: number | null; details?: Record<string, unknown> }) =>
    auditLog.record({
      at: now(),
      actorUserId: entry.user?.id ?? null,
      actorRole: entry.user?.role ?? null,
      action: `${req.method} ${req.path} (console)`,
      entityType: entry.sessionRowId ? 'console_session' : null,
      entityId: entry.sessionRowId ?? null,
      // Mounted on createApp's app, the request already has the id the response header carries.
      requestId: requestIdOf(res) === 'unknown' ? crypto.randomUUID() : requestIdOf(res),
      statusCode: entry.statusCode,
      details: { ip: req.ip ?? null, ...entry.details },
    });

  /** Renders a page with what every page needs: language, CSRF token for its forms, the user. */
  const send = (req: Request, res: Response, status: number, page: Page, context: Record<string, unknown> & { title: string }) => {
    const user = signedInUser(res);
    const locale = localeOf(req, res);
    const base: PageBase = {
      title: context.title,
      locale,
      timeZone: CONSOLE_TIME_ZONE,
      csrfToken: csrf.token(req, res),
      user: user ? { name: user.name, role: label(locale, 'role', user.role) } : null,
      here: req.method === 'GET' ? req.originalUrl : '/',
    };
    const locales = LOCALES.map((value) => ({ value, name: LOCALE_NAMES[value], current: value === locale }));
    res
      .status(status)
      // Pages show customer data to one signed-in user: never keep them in a shared or back-button cache.
      .set({ 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' })
      .send(render(page, { ...base, locales, ...context }));
  };
  const t = (req: Request, res: Response, key: MessageKey, values?: Record<string, string | number>) => translate(localeOf(req, res), key, values);
  const message = (req: Request, res: Response, status: number, title: string, text: string) => send(req, res, status, 'message', { title, message: text });
  const loginPage = (req: Request, res: Response, status: number, form: FormState, notice: string | null = null) =>
    send(req, res, status, 'login', { title: t(req, res, 'signin.title'), form, notice });

  /** Forgets a dead session cookie for the rest of this request too, so the page's CSRF token matches the next post. */
  const forgetSessionCookie = (req: Request, res: Response) => {
    clearSessionCookie(req, res);
    delete (req.cookies as Record<string, unknown>)[SESSION_COOKIE];
  };

  router.all(CONSOLE_PATHS, consoleSecurityHeaders(), cookieParser(), async (req: Request, res: Response, next: NextFunction) => {
    res.locals[IN_CONSOLE] = true;
    if (req.path === STYLESHEET_PATH) return next();
    const sessionId = sessionIdOf(req);
    if (!sessionId) return next();
    const resumed = await sessions.resume(sessionId, limits, now());
    if (resumed.user) {
      res.locals[USER] = resumed.user;
    } else {
      res.locals[ENDED] = resumed.verdict;
      forgetSessionCookie(req, res);
    }
    next();
  });

  /** Every page but the sign-in form: a live session, or back to the form saying why. */
  const requireUser = (_req: Request, res: Response, next: NextFunction): void => {
    if (signedInUser(res)) return next();
    const ended = res.locals[ENDED] as SessionVerdict | null | undefined;
    res.redirect(303, ended && !ended.live ? `/?ended=${ended.reason}` : '/');
  };

  /** Every form post: the body, then its CSRF token, before anything else happens. */
  const requireCsrf = (onInvalid: (req: Request, res: Response) => void) => [
    FORM_BODY,
    (req: Request, res: Response, next: NextFunction) => (csrf.valid(req) ? next() : onInvalid(req, res)),
  ];
  const expiredForm = (req: Request, res: Response) => message(req, res, 403, t(req, res, 'message.badRequest'), t(req, res, 'form.expired'));

  router.get(STYLESHEET_PATH, (_req, res) => {
    res.set({ 'Content-Type': 'text/css; charset=utf-8', 'Cache-Control': 'public, max-age=3600' }).send(stylesheet);
  });

  router.get('/', (req, res) => {
    if (signedInUser(res)) return res.redirect(303, '/projects');
    const ended = typeof req.query.ended === 'string' ? ENDED_NOTICES[req.query.ended] : undefined;
    loginPage(req, res, 200, emptyForm(), ended ? t(req, res, ended) : null);
  });

  const refuseTooMany = (req: Request, res: Response) => loginPage(req, res, 429, formWithProblem({}, t(req, res, 'signin.tooMany')));
  router.post(
    '/login',
    signInRateLimit(deps.signInLimit ?? DEFAULT_SIGN_IN_LIMIT, refuseTooMany),
    ...requireCsrf((req, res) => loginPage(req, res, 403, formWithProblem({}, t(req, res, 'form.expired')))),
    async (req, res) => {
      const token = formValues(req.body, ['token']).token?.trim() ?? '';
      if (token === '') return loginPage(req, res, 400, formWithFieldError({}, 'token', t(req, res, 'signin.empty')));
      const opened = await sessions.open(token, now());
      if (!opened) {
        await audit(req, res, { statusCode: 401, user: null, details: { outcome: 'invalid_token' } });
        return loginPage(req, res, 401, formWithFieldError({}, 'token', t(req, res, 'signin.invalid')));
      }
      // A new sign-in replaces whatever session this browser had.
      const previous = sessionIdOf(req);
      if (previous) await sessions.revoke(previous, now());
      await sessions.prune(limits, now());
      await audit(req, res, { statusCode: 303, user: opened.user, sessionRowId: opened.id, details: { outcome: 'signed_in' } });
      setSessionCookie(req, res, opened.sessionId, limits);
      res.redirect(303, '/projects');
    },
  );

  // A session that already ended needs no sign-out, and its form's token no longer matches.
  const endedAlready = (_req: Request, res: Response, next: NextFunction) => (signedInUser(res) ? next() : res.redirect(303, '/'));
  router.post('/logout', endedAlready, ...requireCsrf(expiredForm), async (req, res) => {
    const sessionId = sessionIdOf(req);
    const revoked = sessionId ? await sessions.revoke(sessionId, now()) : null;
    await audit(req, res, { statusCode: 303, user: signedInUser(res), sessionRowId: revoked, details: { outcome: 'signed_out' } });
    forgetSessionCookie(req, res);
    res.redirect(303, '/?ended=signed_out');
  });

  router.post('/locale', ...requireCsrf(expiredForm), async (req, res) => {
    const body = formValues(req.body, ['locale', 'back']);
    if (!isLocale(body.locale)) return message(req, res, 400, t(req, res, 'message.badRequest'), t(req, res, 'form.unreadable'));
    const user = signedInUser(res);
    if (user) {
      await users.setLocale(user.id, body.locale);
      await audit(req, res, { statusCode: 303, user, details: { locale: body.locale } });
    }
    setLocaleCookie(req, res, body.locale);
    res.redirect(303, localPath(body.back, user ? '/projects' : '/'));
  });

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
    const zones = await customerTimeZones(deps.knex, rows.map((p) => p.customerId));
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

  // ---------------------------------------------------------------------------------------------
  // Tickets (P3): the dispatcher's board and the engineer's "my tickets" are queues of one page.

  const TICKET_QUEUES = ['open', 'mine', 'unassigned', 'breaching_soon', 'breached', 'all'] as const;
  type TicketQueue = (typeof TICKET_QUEUES)[number];
  const minutes = (ms: number) => `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;

  async function ticketRows(user: User, queue: TicketQueue, now: Date) {
    const scope = readScope(principalOf(user), 'ticket');
    const rows = await tickets.list({
      scope,
      status: queue === 'all' ? undefined : ['open', 'assigned', 'acknowledged', 'on_site', 'resolved'],
      ...(queue === 'mine' ? { assigneeUserId: user.id } : queue === 'unassigned' ? { assigneeUserId: null } : {}),
      limit: 500,
    });
    const views = await Promise.all(rows.map((row) => ticketView(deps.knex, row, now)));
    if (queue === 'breached') return views.filter((v) => v.clocks.some((c) => c.status === 'breached'));
    if (queue === 'breaching_soon') return views.filter((v) => v.clocks.some((c) => c.status === 'warning') && !v.clocks.some((c) => c.status === 'breached'));
    return views;
  }

  async function namesOf(table: 'customers' | 'users', ids: (number | null)[]): Promise<Map<number, string>> {
    const wanted = [...new Set(ids.filter((id): id is number => id !== null))];
    if (wanted.length === 0) return new Map();
    const rows = (await deps.knex(table).whereIn('id', wanted).select('id', 'name')) as Array<{ id: number; name: string }>;
    return new Map(rows.map((row) => [Number(row.id), row.name]));
  }

  router.get('/tickets', requireUser, async (req, res) => {
    const locale = localeOf(req, res);
    const raw = req.query.queue ?? 'open';
    if (typeof raw !== 'string' || !(TICKET_QUEUES as readonly string[]).includes(raw)) {
      return message(req, res, 400, t(req, res, 'message.badQueue.title'), t(req, res, 'message.badQueue.text', { queue: String(raw) }));
    }
    const queue = raw as TicketQueue;
    const user = signedInUser(res)!;
    const now = new Date();
    const counted = await Promise.all(TICKET_QUEUES.map(async (q) => [q, await ticketRows(user, q, now)] as const));
    const shown = counted.find(([q]) => q === queue)![1];
    const [customers, engineers, zones] = await Promise.all([namesOf('customers', shown.map((v) => v.customerId)), namesOf('users', shown.map((v) => v.assigneeUserId)), customerTimeZones(deps.knex, shown.map((v) => v.customerId))]);
    send(req, res, 200, 'tickets', {
      title: `${t(req, res, 'tickets.title')}: ${t(req, res, `tickets.queue.${queue}` as MessageKey)}`,
      queues: counted.map(([q, list]) => ({ label: t(req, res, `tickets.queue.${q}` as MessageKey), count: list.length, href: q === 'open' ? '/tickets' : `/tickets?queue=${q}`, current: q === queue })),
      tickets: shown.map((v) => ({
        id: v.id,
        kind: humanize(v.kind),
        customer: customers.get(v.customerId) ?? `#${v.customerId}`,
        level: v.level,
        status: humanize(v.status),
        engineer: v.assigneeUserId === null ? null : (engineers.get(v.assigneeUserId) ?? null),
        openedAt: v.openedAt,
        timeZone: zones.get(v.customerId) ?? CONSOLE_TIME_ZONE,
        clocks: v.clocks.map((c) => ({ name: translate(locale, `clock.${c.name}` as MessageKey), status: translate(locale, `clockStatus.${c.status}` as MessageKey), statusKey: c.status, dueAt: c.stoppedAt ? null : c.dueAt })),
      })),
    });
  });

  router.get('/tickets/:id', requireUser, async (req, res) => {
    const locale = localeOf(req, res);
    const id = positiveInt(req.params.id);
    const found = id === null ? null : await tickets.get(id);
    // Another party's ticket is shown exactly like one that does not exist.
    const ticket = found && canRead(principalOf(signedInUser(res)!), ticketFacts(found)) ? found : null;
    if (!ticket) return message(req, res, 404, t(req, res, 'message.ticketNotFound.title'), t(req, res, 'message.ticketNotFound.text', { id: String(req.params.id) }));
    const [shown, timeline, customers, engineers, zones] = await Promise.all([
      ticketView(deps.knex, ticket, new Date()),
      tickets.timeline(ticket.id),
      namesOf('customers', [ticket.customerId]),
      namesOf('users', [ticket.assigneeUserId]),
      customerTimeZones(deps.knex, [ticket.customerId]),
    ]);
    const charges = ticket.charges as { total?: { amount: number; currency: string } } | null;
    send(req, res, 200, 'ticket', {
      title: `#${ticket.id} · ${ticket.symptom.slice(0, 80)}`,
      timeZone: zones.get(ticket.customerId) ?? CONSOLE_TIME_ZONE,
      ticket: {
        id: ticket.id,
        kind: humanize(ticket.kind),
        status: humanize(ticket.status),
        onHold: ticket.onHold,
        level: ticket.faultLevel,
        customer: customers.get(ticket.customerId) ?? `#${ticket.customerId}`,
        device: ticket.serial ? `${ticket.model ?? ''} · ${ticket.serial}` : ticket.model,
        symptom: ticket.symptom,
        entitlement: humanize(ticket.entitlement),
        engineer: ticket.assigneeUserId === null ? null : (engineers.get(ticket.assigneeUserId) ?? null),
        repeatOf: ticket.repeatOfTicketId,
        charges: charges?.total ? formatMoney(charges.total, locale === 'en' ? 'en-GB' : 'zh-CN') : null,
        openedAt: ticket.openedAt,
      },
      clocks: shown.clocks.map((c) => ({ name: translate(locale, `clock.${c.name}` as MessageKey), status: translate(locale, `clockStatus.${c.status}` as MessageKey), statusKey: c.status, dueAt: c.dueAt, elapsed: minutes(c.elapsedMs), paused: minutes(c.pausedMs) })),
      timeline: timeline.map((e) => ({ at: e.at, kind: humanize(e.kind), actor: e.actor?.name ? `${e.actor.name}${e.actor.role ? ` (${label(locale, 'role', e.actor.role as Role)})` : ''}` : null, summary: e.summary })),
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
      customerTimeZones(deps.knex, [project.customerId]),
    ]);
    const milestone = (key: MessageKey, at: Date | null) => ({ label: t(req, res, key), at });
    send(req, res, 200, 'project', {
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
        actor: e.actor ? `${e.actor.name} (${label(locale, 'role', e.actor.role)})` : null,
        kind: humanize(e.kind),
        summary: e.summary,
      })),
    });
  });

  // Errors from the pages above only; a failure never shows a stack trace to the browser.
  router.use((error: unknown, req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent || !res.locals[IN_CONSOLE]) return next(error);
    const status = clientErrorStatus(error);
    if (status) {
      // e.g. an oversized or malformed form, as body-parser reports it.
      return message(req, res, status, t(req, res, 'message.badRequest'), t(req, res, 'form.unreadable'));
    }
    logger.error(`[console] ${req.method} ${req.originalUrl} failed`, error);
    try {
      message(req, res, 500, t(req, res, 'message.error.title'), t(req, res, 'message.error.text'));
    } catch (renderError) {
      logger.error('[console] the error page failed too', renderError);
      res.status(500).type('text').send('Something went wrong.');
    }
  });

  return router;
}
