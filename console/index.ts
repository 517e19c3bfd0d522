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
import cookieParser from 'cookie-parser';
import express, { type NextFunction, type Request, type Response } from 'express';
import { createConsoleContext, type ConsoleArea, type ConsoleDeps } from './context';
import { clientErrorStatus } from './kit';
import { assetsArea } from './pages/assets';
import { dealerArea } from './pages/dealer';
import { callsArea } from './pages/calls';
import { carePlansArea } from './pages/carePlans';
import { documentsArea } from './pages/documents';
import { exportsArea } from './pages/exports';
import { homeArea } from './pages/home';
import { inspectionReportArea } from './pages/inspectionReport';
import { kpisArea } from './pages/kpis';
import { projectsArea } from './pages/projects';
import { projectStepsArea } from './pages/projectSteps';
import { signInArea } from './pages/signIn';
import { ticketsArea } from './pages/tickets';
import { visitsArea } from './pages/visits';
import { consoleSecurityHeaders } from './security';
import { sessionIdOf } from './session';

export type { ConsoleDeps } from './context';

/** The console's areas, in the order of the main navigation. */
const AREAS: ConsoleArea[] = [
  assetsArea,
  signInArea,
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
];

/** Set once a request enters the console's routes, so the error handler leaves other mounts' errors alone. */
const IN_CONSOLE = 'inConsole';

export function createConsole(deps: ConsoleDeps): express.Router {
  const ctx = createConsoleContext(deps, AREAS.flatMap((area) => area.nav ?? []));
  const logger = deps.logger ?? console;
  const assets = new Set(AREAS.flatMap((area) => area.assets ?? []));
  const router = express.Router();

  router.all(AREAS.flatMap((area) => area.paths), consoleSecurityHeaders(), cookieParser(), async (req: Request, res: Response, next: NextFunction) => {
    res.locals[IN_CONSOLE] = true;
    if (assets.has(req.path)) return next();
    const sessionId = sessionIdOf(req);
    if (sessionId) await ctx.resumeSession(req, res, sessionId);
    next();
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
