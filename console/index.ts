/**
 * The web console (PRODUCT §5), server-rendered with Handlebars from templates/_console/. Each
 * area is a module in console/pages/ that registers its own routes (their list is in its header);
 * this file only wires them: security headers and the session on the areas' paths, the areas'
 * routes, and the error page. Shared helpers: console/context.ts (rendering, guards, audit),
 * console/kit.ts, console/forms.ts; words: console/messages/<area>.ts.
 *
 * Every POST needs the form's CSRF token (console/security.ts). Mount it on the app from createApp
 * (`app.use(createConsole({ knex }))`): it answers only its areas' paths and passes everything else on.
 */
import { gatedSessions } from '../people/secondFactor/gate';
import { secondFactorArea } from '../people/secondFactor/console/pages';
import cookieParser from 'cookie-parser';
import express, { type NextFunction, type Request, type Response } from 'express';
import { createConsoleContext, type ConsoleArea, type ConsoleDeps } from '../platform/console/context';
import { clientErrorStatus } from '../platform/console/kit';
import { assetsArea } from '../platform/console/assets';
import { dealerArea } from '../processes/dealer/console/pages';
import { callsArea } from '../processes/care/console/calls';
import { carePlansArea } from '../processes/care/console/carePlans';
import { documentsArea } from '../processes/delivery/console/documents';
import { exportsArea } from '../reports/exports/page';
import { homeArea } from '../reports/home/page';
import { inspectionReportArea } from '../processes/care/console/inspectionReport';
import { kpisArea } from '../reports/kpis/page';
import { projectsArea } from '../processes/delivery/console/projects';
import { projectStepsArea } from '../processes/delivery/console/projectSteps';
import { signInArea } from '../people/console/signIn';
import { passwordArea } from '../people/console/password';
import { oidcArea } from '../people/oidc/console';
import { peopleArea } from '../people/console/people';
import { unitsArea } from '../people/console/units';
import { profileArea } from '../people/console/profile';
import { tokensArea } from '../people/console/tokens';
import { ticketsArea } from '../processes/tickets/console/tickets';
import { visitsArea } from '../processes/care/console/visits';
import { consoleSecurityHeaders } from '../platform/console/security';
import { sessionIdOf } from '../platform/console/session';
import { currentLogger, errorLoggerOf } from '../platform/logging';

export type { ConsoleDeps } from '../platform/console/context';

/** The console's areas, in the order of the main navigation. */
const AREAS: ConsoleArea[] = [
  assetsArea,
  signInArea,
  passwordArea,
  secondFactorArea,
  oidcArea,
  profileArea,
  tokensArea,
  homeArea,
  projectsArea,
  projectStepsArea,
  documentsArea,
  exportsArea,
  ticketsArea,
  dealerArea,
  visitsArea,
  callsArea,
  carePlansArea,
  inspectionReportArea,
  kpisArea,
  peopleArea,
  unitsArea,
];

/** Set once a request enters the console's routes, so the error handler leaves other mounts' errors alone. */
const IN_CONSOLE = 'inConsole';

export function createConsole(deps: ConsoleDeps): express.Router {
  const ctx = createConsoleContext(deps, AREAS.flatMap((area) => area.nav ?? []), gatedSessions(deps.knex));
  // By default the request's own logger (its reqId), found when the error arrives.
  const logger = deps.logger ?? { error: (line: string, error: unknown) => errorLoggerOf(currentLogger()).error(line, error) };
  const assets = new Set(AREAS.flatMap((area) => area.assets ?? []));
  const router = express.Router();

  router.all(AREAS.flatMap((area) => area.paths), consoleSecurityHeaders(), cookieParser(), async (req: Request, res: Response, next: NextFunction) => {
    res.locals[IN_CONSOLE] = true;
    if (assets.has(req.path)) return next();
    const sessionId = sessionIdOf(req);
    if (sessionId) await ctx.resumeSession(req, res, sessionId);
    // A session still owing its second factor reaches nothing else (people/secondFactor/gate.ts).
    ctx.holdGate(req, res, next);
  });

  for (const area of AREAS) area.register(router, ctx);

  // Errors from the pages above only; a failure never shows a stack trace to the browser.
  router.use((error: unknown, req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent || !res.locals[IN_CONSOLE]) return next(error);
    const { message, t } = ctx;
    const status = clientErrorStatus(error);
    if (status) {
      // e.g. an oversized or malformed form, as body-parser reports it.
      return message(req, res, status, t(req, res, 'message.badRequest'), t(req, res, 'form.unreadable'));
    }
    // A link's token (invitation, reset) and single sign-on's code and state are in the query: never in a log line.
    logger.error(`[console] ${req.method} ${req.originalUrl.replace(/([?&](?:token|code|state|session_state)=)[^&]*/g, '$1[redacted]')} failed`, error);
    try {
      message(req, res, 500, t(req, res, 'message.error.title'), t(req, res, 'message.error.text'));
    } catch (renderError) {
      logger.error('[console] the error page failed too', renderError);
      // Plain text in the reader's language: the catalogue needs no template.
      res.status(500).type('text').send(t(req, res, 'message.error.text'));
    }
  });

  return router;
}
