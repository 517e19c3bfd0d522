/**
 * An engineer's visits as an iCalendar feed (ical-generator): the URL carries a read-only feed token,
 * never an API token, that the engineer issues and revokes. Calendar apps poll it; a revoked or
 * unknown token, or a user who is no longer active, reads nothing (404).
 */
import type { Locale } from '../../domain/locale';
import ical from 'ical-generator';
import { DateTime } from 'luxon';
import { assignedOpenVisits, CalendarFeedsRepository, type FeedVisit } from './feeds';
import { UsersRepository } from '../../people/repository';
import type { AuditTarget } from '../../platform/http/audit';
import { notFound } from '../../platform/http/errors';
import { apiModule, publicUrlOf } from '../../platform/http/module';
import { defineRoute } from '../../platform/http/route';
import { z } from '../../platform/http/zod';
import { words } from '../../domain/words';


const KIND_LABELS: Record<Locale, Record<string, string>> = {
  en: { inspection: 'Inspection', free_maintenance: 'Free maintenance', contract_visit: 'Maintenance-contract visit', extra: 'Extra visit' },
  'zh-CN': { inspection: '巡检', free_maintenance: '保修期满前免费保养', contract_visit: '维保合同巡检', extra: '加派巡检' },
};
const WINDOW_LABEL: Record<Locale, string> = { en: 'Window', 'zh-CN': '时间窗' };

/** A local calendar date in the customer's zone, as the UTC midnight an all-day event is written from. */
function localDate(instant: Date, timeZone: string): { day: Date; text: string } {
  const text = DateTime.fromJSDate(instant, { zone: timeZone }).toISODate()!;
  return { day: new Date(`${text}T00:00:00Z`), text };
}

/** The feed: one all-day event per open visit on its due date, the window and the plan in its text. */
export function visitsCalendar(visits: FeedVisit[], options: { engineerName: string; locale: Locale; consoleUrl: string }): string {
  const calendar = ical({ name: `Aftercare: ${options.engineerName}`, prodId: { company: 'Aftercare', product: 'visits', language: options.locale === 'en' ? 'EN' : 'ZH' } });
  for (const visit of visits) {
    const due = localDate(visit.dueAt, visit.timeZone);
    const window = `${WINDOW_LABEL[options.locale]}: ${localDate(visit.windowStart, visit.timeZone).text} – ${localDate(visit.windowEnd, visit.timeZone).text}`;
    calendar.createEvent({
      id: `care-visit-${visit.id}@aftercare`,
      start: due.day,
      allDay: true,
      stamp: visit.updatedAt,
      summary: `${KIND_LABELS[options.locale][visit.kind] ?? visit.kind}: ${visit.customerName}`,
      description: `${window}\n${options.consoleUrl}/care-plans/${visit.planId}`,
      location: visit.address ?? undefined,
      url: `${options.consoleUrl}/care-plans/${visit.planId}`,
    });
  }
  return calendar.toString();
}

const IdParams = z.object({ id: z.coerce.number().int().positive() });

const FeedSchema = z
  .object({
    url: z.string().openapi({ description: 'The feed’s address, token included: subscribe to it in a calendar app. Shown once.' }),
    token: z.string(),
  })
  .openapi('CalendarFeed');

const issueFeed = defineRoute(
  {
    method: 'post',
    path: '/engineers/:id/calendar-feed',
    roles: ['engineer', 'senior_engineer'],
    access: { rule: 'record', resource: 'user', action: 'act' },
    summary: 'Issue the engineer’s own calendar feed address (a new one revokes the old)',
    tags: ['care'],
    params: IdParams,
    responses: { 201: { description: 'The feed address', body: FeedSchema } },
    errors: { 404: 'Not your own user' },
  },
  async ({ params, deps, res }) => {
    const token = await new CalendarFeedsRepository(deps.knex).issue(params.id);
    res.locals.audit = { entityType: 'user', entityId: params.id } satisfies AuditTarget;
    // AFTERCARE_PUBLIC_URL, never the Host header: a forged one must not put someone else's address in a calendar.
    const url = `${publicUrlOf(deps)}/api/engineers/${params.id}/visits.ics?token=${encodeURIComponent(token)}`;
    return { status: 201, body: { url, token } };
  },
);

const revokeFeed = defineRoute(
  {
    method: 'delete',
    path: '/engineers/:id/calendar-feed',
    roles: ['engineer', 'senior_engineer'],
    access: { rule: 'record', resource: 'user', action: 'act' },
    summary: 'Revoke the engineer’s calendar feed address: it reads nothing from now on',
    tags: ['care'],
    params: IdParams,
    responses: { 200: { description: 'Whether a live address was revoked', body: z.object({ revoked: z.boolean() }) } },
    errors: { 404: 'Not your own user' },
  },
  async ({ params, deps, res }) => {
    const revoked = await new CalendarFeedsRepository(deps.knex).revoke(params.id);
    res.locals.audit = { entityType: 'user', entityId: params.id } satisfies AuditTarget;
    return { status: 200, body: { revoked } };
  },
);

const visitsFeed = defineRoute(
  {
    method: 'get',
    path: '/engineers/:id/visits.ics',
    roles: 'public',
    access: { rule: 'public' },
    summary: 'The engineer’s open visits as iCalendar (text/calendar), read with the feed token',
    tags: ['care'],
    params: IdParams,
    query: z.object({ token: z.string().max(200).optional().openapi({ description: 'The feed token from POST /engineers/:id/calendar-feed' }) }),
    responses: { 200: { description: 'text/calendar' } },
    errors: { 404: 'No such feed (unknown or revoked token)' },
  },
  async ({ params, query, deps, res }) => {
    if (!query.token || !(await new CalendarFeedsRepository(deps.knex).admits(params.id, query.token))) throw notFound(words('schedule.feedNotFound', { id: params.id }));
    const engineer = (await new UsersRepository(deps.knex).get(params.id))!;
    const consoleUrl = publicUrlOf(deps);
    const body = visitsCalendar(await assignedOpenVisits(deps.knex, params.id), { engineerName: engineer.name, locale: engineer.locale, consoleUrl });
    res.status(200).type('text/calendar; charset=utf-8').setHeader('cache-control', 'private, max-age=300');
    res.send(body);
  },
);

export const visitFeedModule = apiModule(issueFeed, revokeFeed, visitsFeed);
