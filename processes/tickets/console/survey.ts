/**
 * The customer's survey page, reached from the link mailed when a ticket closes; no sign-in.
 *
 *   GET  /survey/:token   the form (satisfaction 1–5, "not solved", a comment), or why it is closed
 *   POST /survey/:token   records the ticket's `survey` step, as `POST /api/tickets/:id/survey` does
 *
 * The token (256 random bits) is the credential; only its sha256 is stored. It is good once, until
 * the survey is due, for the round (the close) it was sent for. The form carries a csrf-csrf
 * double-submit token bound to the link, on top of the secret in the path; requests per client
 * address are rate-limited; pages are no-store with the console's headers (same-origin referrer, so
 * the link never leaves in a Referer).
 */
import fs from 'node:fs';
import type { Client } from '@temporalio/client';
import cookieParser from 'cookie-parser';
import { doubleCsrf } from 'csrf-csrf';
import express, { type NextFunction, type Request, type Response } from 'express';
import { rateLimit } from 'express-rate-limit';
import Handlebars from 'handlebars';
import type { Knex } from 'knex';
import { ApiError } from '../../../platform/http/errors';
import { errorBodyIn } from '../../../platform/http/problemMessages';
import { stepFailureToApi } from '../../../platform/temporal/processStarts';
import { TicketsRepository } from '../repository';
import { TicketSurveyLinksRepository, type SurveyLink } from '../surveyLinks';
import { hashToken, randomToken } from '../../../platform/tokens';
import { surveyTicketUpdate, ticketWorkflowId } from '../messages';
import { consoleSecurityHeaders } from '../../../platform/console/security';
import { cookieOptions } from '../../../platform/console/session';
import { consolePageFile } from '../../../platform/templateFiles';
import { currentLogger } from '../../../platform/logging';

export interface SurveyPageDeps {
  knex: Knex;
  temporal?: { client: Client };
  /** Key of the form tokens; default random per process. */
  csrfSecret?: string;
  /** Requests per client address and window; default 60 per 15 minutes. */
  limit?: { requests: number; windowMs: number };
  now?: () => Date;
}

const CSRF_COOKIE = 'aftercare_survey_csrf';
const processSecret = randomToken();
const FORM_BODY = express.urlencoded({ extended: false, limit: '8kb' });

const MESSAGES = {
  en: {
    brand: 'Aftercare',
    title: 'How satisfied are you?',
    intro: 'Repair ticket #{id}: {symptom}',
    score: 'Satisfaction (1 = very dissatisfied, 5 = very satisfied)',
    scores: ['1 very dissatisfied', '2', '3', '4', '5 very satisfied'],
    notSatisfied: 'The problem is not solved',
    comment: 'Comment (optional)',
    submit: 'Send',
    thanks: 'Thank you. Your answer is recorded.',
    reopened: 'Thank you. We are sorry: the ticket is reopened and an engineer will contact you.',
    unknown: 'This survey link is not valid.',
    used: 'This survey was answered already. Thank you.',
    expired: 'This survey has closed.',
    notAwaited: 'This survey is no longer awaited.',
    badForm: 'The form had expired; please send it again.',
    badScore: 'Choose a score from 1 to 5.',
    longComment: 'At most 500 characters.',
    unavailable: 'Your answer could not be recorded just now; please try again shortly.',
    limited: 'Too many requests; please try again later.',
  },
  'zh-CN': {
    brand: 'Aftercare 售后服务',
    title: '您对本次服务满意吗？',
    intro: '维修工单 #{id}：{symptom}',
    score: '满意度（1 = 非常不满意，5 = 非常满意）',
    scores: ['1 非常不满意', '2', '3', '4', '5 非常满意'],
    notSatisfied: '问题尚未解决',
    comment: '意见（可选）',
    submit: '提交',
    thanks: '谢谢！您的评价已记录。',
    reopened: '谢谢！很抱歉，工单已重新打开，工程师将与您联系。',
    unknown: '此调查链接无效。',
    used: '此调查已填写，谢谢。',
    expired: '此调查已截止。',
    notAwaited: '此调查已不再需要填写。',
    badForm: '表单已过期，请重新提交。',
    badScore: '请选择 1 到 5 分。',
    longComment: '最多 500 个字符。',
    unavailable: '暂时无法记录您的评价，请稍后再试。',
    limited: '请求过多，请稍后再试。',
  },
} as const;

type Locale = keyof typeof MESSAGES;
type Messages = (typeof MESSAGES)[Locale];

interface FormInput {
  score: string;
  comment: string;
  notSatisfied: boolean;
}

/** Why a link cannot be answered now, or null when its survey is awaited. */
async function closedReason(knex: Knex, link: SurveyLink, now: Date): Promise<{ status: number; key: 'used' | 'expired' | 'notAwaited' } | null> {
  if (link.usedAt) return { status: 410, key: 'used' };
  if (now.getTime() > link.expiresAt.getTime()) return { status: 410, key: 'expired' };
  const ticket = await new TicketsRepository(knex).get(link.ticketId);
  // Another close since (a reopen in between) asks with a link of its own.
  if (!ticket || ticket.status !== 'closed' || Number(ticket.progress.reopened ?? 0) !== link.round || ticket.progress.surveyMissedAt) return { status: 410, key: 'notAwaited' };
  return null;
}

export function createSurveyPages(deps: SurveyPageDeps): express.Router {
  const now = deps.now ?? (() => new Date());
  const links = new TicketSurveyLinksRepository(deps.knex);
  const template = Handlebars.create().compile(fs.readFileSync(consolePageFile('survey'), 'utf8'), { strict: true });
  const { generateCsrfToken, validateRequest } = doubleCsrf({
    getSecret: () => deps.csrfSecret ?? processSecret,
    // Bound to the link: a form token of one link is worthless on another.
    getSessionIdentifier: (req) => hashToken(String(req.params.token ?? '')),
    cookieName: CSRF_COOKIE,
    cookieOptions: { sameSite: 'strict', httpOnly: true, secure: false, path: '/survey' },
    getCsrfTokenFromRequest: (req) => {
      const value = (req.body as Record<string, unknown> | undefined)?._csrf;
      return typeof value === 'string' ? value : null;
    },
  });
  const limit = deps.limit ?? { requests: 60, windowMs: 15 * 60 * 1000 };

  const router = express.Router();
  const page = (req: Request, res: Response, status: number, locale: Locale, context: { link?: SurveyLink; symptom?: string; message?: string; problem?: string; form?: FormInput; errors?: Partial<Record<'score' | 'comment', string>> }) => {
    const m: Messages = MESSAGES[locale];
    const form = context.form ?? { score: '', comment: '', notSatisfied: false };
    res.status(status).set('Cache-Control', 'no-store').type('html').send(
      template({
        locale,
        m,
        message: context.message ?? null,
        problem: context.problem ?? null,
        intro: context.link ? m.intro.replace('{id}', String(context.link.ticketId)).replace('{symptom}', context.symptom ?? '') : '',
        action: req.originalUrl.split('?')[0],
        csrfToken: context.message ? '' : generateCsrfToken(req, res, { cookieOptions: { ...cookieOptions(req), sameSite: 'strict', path: '/survey' } }),
        scores: m.scores.map((label, i) => ({ value: i + 1, label, checked: form.score === String(i + 1) })),
        comment: form.comment,
        notSatisfied: form.notSatisfied,
        errors: context.errors ?? {},
      }),
    );
  };
  const localeOf = (link: SurveyLink | null, req: Request): Locale => link?.locale ?? (req.acceptsLanguages('zh-CN', 'zh', 'en') === 'en' ? 'en' : 'zh-CN');

  router.use(
    '/survey',
    consoleSecurityHeaders(),
    rateLimit({
      windowMs: limit.windowMs,
      limit: limit.requests,
      standardHeaders: 'draft-8',
      legacyHeaders: false,
      handler: (req, res) => page(req, res, 429, localeOf(null, req), { message: MESSAGES[localeOf(null, req)].limited }),
    }),
    cookieParser(),
  );

  /** The link and its ticket's symptom, or the page saying why not (answered). */
  async function open(req: Request, res: Response): Promise<{ link: SurveyLink; symptom: string } | null> {
    const link = await links.byToken(String(req.params.token));
    if (!link) {
      page(req, res, 404, localeOf(null, req), { message: MESSAGES[localeOf(null, req)].unknown });
      return null;
    }
    const closed = await closedReason(deps.knex, link, now());
    if (closed) {
      page(req, res, closed.status, link.locale, { message: MESSAGES[link.locale][closed.key] });
      return null;
    }
    const ticket = await new TicketsRepository(deps.knex).get(link.ticketId);
    return { link, symptom: ticket?.symptom ?? '' };
  }

  router.get('/survey/:token', (req, res, next) => {
    void (async () => {
      const found = await open(req, res);
      if (found) page(req, res, 200, found.link.locale, found);
    })().catch(next);
  });

  router.post('/survey/:token', FORM_BODY, (req, res, next) => {
    void (async () => {
      const found = await open(req, res);
      if (!found) return;
      const { link } = found;
      const m = MESSAGES[link.locale];
      const body = req.body as Record<string, unknown>;
      const form: FormInput = { score: typeof body.score === 'string' ? body.score : '', comment: typeof body.comment === 'string' ? body.comment.trim() : '', notSatisfied: body.notSatisfied === '1' };
      if (!validateRequest(req)) return page(req, res, 403, link.locale, { ...found, form, problem: m.badForm });
      const errors: Partial<Record<'score' | 'comment', string>> = {};
      if (!/^[1-5]$/.test(form.score)) errors.score = m.badScore;
      if ([...form.comment].length > 500) errors.comment = m.longComment;
      if (Object.keys(errors).length > 0) return page(req, res, 400, link.locale, { ...found, form, errors });
      if (!deps.temporal) return page(req, res, 503, link.locale, { ...found, form, problem: m.unavailable });
      const step = {
        score: Number(form.score),
        ...(form.comment ? { comment: form.comment } : {}),
        ...(form.notSatisfied ? { notSatisfied: true } : {}),
        // The customer, through the link: no user of ours (0 is stored as none).
        actor: { userId: 0, name: link.name, role: 'customer' },
        occurredAt: now().toISOString(),
      };
      let reopened: boolean;
      try {
        // One update per link: a form sent twice is one answer.
        const answer = await deps.temporal.client.workflow.getHandle(ticketWorkflowId(link.ticketId)).executeUpdate(surveyTicketUpdate, { args: [step], updateId: `survey-link:${link.id}` });
        reopened = answer.status !== 'closed';
      } catch (error) {
        const known = error instanceof ApiError ? error : await stepFailureToApi(deps.knex, error, 'closed');
        if (known.status === 409) return page(req, res, 410, link.locale, { message: m.notAwaited });
        // The ticket's refusal of the score, in the link's language.
        if (known.status === 400) return page(req, res, 400, link.locale, { ...found, form, errors: { score: errorBodyIn(known, link.locale).error.message } });
        return page(req, res, 503, link.locale, { ...found, form, problem: m.unavailable });
      }
      await links.useRound(link.ticketId, link.round, now());
      page(req, res, 200, link.locale, { message: reopened ? m.reopened : m.thanks });
    })().catch(next);
  });

  router.use('/survey', (error: unknown, req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) return next(error);
    currentLogger().error({ err: error }, '[survey] failed');
    page(req, res, 500, localeOf(null, req), { message: MESSAGES[localeOf(null, req)].unavailable });
  });
  return router;
}
