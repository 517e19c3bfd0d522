import type { Client, Connection } from '@temporalio/client';
import type { Registry } from 'prom-client';
import { createApp } from '../api/app';
import { apiModules } from '../api/index';
import { createConsole } from '../console';
import { createSurveyPages } from '../processes/tickets/console/survey';
import { SECURE_COOKIES } from '../platform/console/session';
import type { AppConfig } from '../platform/config/config';
import type { CoreServices } from './services';
import { temporalReachable } from '../platform/temporal/connection';
import { calendarHealthWarnings } from '../schedule/calendars/health';

/** The HTTP side: the API with every feature module, and the console; request durations go to `metrics` when given. */
export function httpAppFor(
  services: CoreServices,
  temporal: { client: Client; connection: Connection },
  config: Pick<AppConfig, 'taskQueue' | 'temporalNamespace' | 'console' | 'publicUrl' | 'oidc' | 'tokenLifetimes'>,
  observability: { metrics?: Registry } = {},
) {
  const app = createApp({
    metrics: observability.metrics,
    knex: services.knex,
    temporal: { client: temporal.client, taskQueue: config.taskQueue, namespace: config.temporalNamespace },
    health: { temporal: () => temporalReachable(temporal.connection), warnings: calendarHealthWarnings(services.knex) },
    routers: apiModules,
    mail: { outbox: services.outbox, publicUrl: config.publicUrl },
    publicUrl: config.publicUrl,
    linkLifetimes: config.console.linkLifetimes,
    tokenLifetimes: config.tokenLifetimes,
  });
  // The client's address (sign-in limits, audit rows) through the proxies we trust; cookies Secure when people reach us over https.
  app.set('trust proxy', config.console.trustProxy);
  app.set(SECURE_COOKIES, config.publicUrl.startsWith('https:'));
  // The customer's survey link: public, before the console's signed-in pages.
  app.use(createSurveyPages({ knex: services.knex, temporal: { client: temporal.client }, csrfSecret: config.console.csrfSecret }));
  app.use(
    createConsole({
      knex: services.knex,
      sessionLimits: { idleMs: config.console.sessionIdleMs, absoluteMs: config.console.sessionMaxMs },
      signInLimit: config.console.signInLimit,
      csrfSecret: config.console.csrfSecret,
      temporal: { client: temporal.client, taskQueue: config.taskQueue, namespace: config.temporalNamespace },
      mail: { outbox: services.outbox, publicUrl: config.publicUrl },
      linkLifetimes: config.console.linkLifetimes,
      secondFactor: config.console.secondFactor,
      oidc: config.oidc,
      tokenLifetimes: config.tokenLifetimes,
    }),
  );
  return app;
}
