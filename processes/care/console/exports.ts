/**
 * The visit list and the calls of the day as files (console/pages/exports.ts): the page's sections,
 * or one of them (`?section=`), with only the visits and calls the person reads on the page.
 */
import type { Locale } from '../../../people/roles';
import type { Principal } from '../../../domain/access';
import type { ConsoleContext } from '../../../platform/console/context';
import type { Table } from '../../../platform/console/exportTable';
import { translate, type MessageKey } from '../../../platform/i18n/catalogue';
import { callSections } from './calls';
import { visitRows, visitSections } from './visits';
import { CONSOLE_TIME_ZONE, formatInZone } from '../../../platform/console/views';
import { careWord, contactsOf, customersOf } from './view';

/** The sections asked for: all of them, or the one named; null for a section the list has not. */
function chosen<K extends string>(sections: readonly { key: K }[], section: unknown): Set<K> | null {
  if (section === undefined || section === '') return new Set(sections.map((s) => s.key));
  return typeof section === 'string' && sections.some((s) => s.key === section) ? new Set([section as K]) : null;
}

export async function visitsTable(ctx: ConsoleContext, locale: Locale, principal: Principal, section: unknown): Promise<Table | null> {
  const t = (key: string) => translate(locale, key as MessageKey);
  const sections = await visitSections(ctx.knex, principal, ctx.now());
  const wanted = chosen(sections, section);
  if (!wanted) return null;
  const rows = [];
  for (const { key, visits } of sections.filter((s) => wanted.has(s.key))) {
    for (const v of await visitRows(ctx, visits, locale)) {
      rows.push([t(`visits.section.${key}`), v.id, v.kind, v.customer, v.address, v.engineer, formatInZone(v.dueAt, v.timeZone), formatInZone(v.windowEnd, v.timeZone), v.planId, v.timeZone]);
    }
  }
  return {
    name: 'visits',
    headers: [t('visits.section'), t('export.visits.id'), t('export.visits.kind'), t('visits.customer'), t('export.visits.address'), t('visits.engineer'), t('visits.due'), t('visits.windowEnd'), t('visits.plan'), t('project.timeZone')],
    rows,
  };
}

export async function callsTable(ctx: ConsoleContext, locale: Locale, principal: Principal, section: unknown): Promise<Table | null> {
  const t = (key: string) => translate(locale, key as MessageKey);
  const sections = await callSections(ctx.knex, principal, ctx.now());
  const wanted = chosen(sections, section);
  if (!wanted) return null;
  const picked = sections.filter((s) => wanted.has(s.key));
  const all = picked.flatMap((s) => s.calls);
  const [customers, contacts] = await Promise.all([customersOf(ctx.knex, all.map((c) => c.customerId)), contactsOf(ctx.knex, all.flatMap((c) => c.contactIds))]);
  return {
    name: 'calls',
    headers: [t('visits.section'), t('export.calls.id'), t('visits.customer'), t('export.calls.contacts'), t('visits.due'), t('calls.attempts'), t('visits.plan'), t('project.timeZone')],
    rows: picked.flatMap(({ key, calls }) =>
      calls.map((c) => {
        const zone = customers.get(c.customerId)?.timeZone ?? CONSOLE_TIME_ZONE;
        const people = contacts
          .filter((x) => c.contactIds.includes(x.id))
          .map((x) => [x.name, careWord(locale, 'care.contactRole', x.role), x.phone].filter((part) => part).join(' · '))
          .join('; ');
        return [t(`calls.section.${key}`), c.id, customers.get(c.customerId)?.name ?? `#${c.customerId}`, people, formatInZone(c.dueAt, zone), c.attempts, c.planId, zone];
      }),
    ),
  };
}
