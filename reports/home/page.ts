/**
 * Each role's home: the signed-in person's work across every process (console/home/work.ts).
 *
 *   GET /home  escalated (newest first), overdue, clocks warning, due today, due this week;
 *              each row links to its record
 */
import { principalOf } from '../../platform/http/access';
import type { ConsoleArea } from '../../platform/console/context';
import { homeWork } from './work';
import { isMessageKey, say, translate, type MessageKey } from '../../platform/i18n/catalogue';
import { CONSOLE_TIME_ZONE, humanize } from '../../platform/console/views';
import type { Locale } from '../../people/roles';

/** The message for a code (`deadline.weekly_report`), or the code made readable when there is none yet. */
function wordFor(locale: Locale, prefix: string, code: string): string {
  const key = `${prefix}.${code}`;
  return isMessageKey(key) ? translate(locale, key) : humanize(code);
}

export const homeArea: ConsoleArea = {
  paths: ['/home'],
  nav: [{ href: '/home', label: 'nav.home' }],
  register(router, ctx) {
    router.get('/home', ctx.requireUser, async (req, res) => {
      const locale = ctx.localeOf(req, res);
      const t = (key: MessageKey, values?: Record<string, string | number>) => translate(locale, key, values);
      const work = await homeWork(ctx.knex, principalOf(ctx.signedInUser(res)!), ctx.now(), CONSOLE_TIME_ZONE);
      ctx.send(req, res, 200, 'home', {
        title: t('home.title'),
        summary: work.sections.map((s) => ({ key: s.key, label: t(`home.section.${s.key}`), count: s.count })),
        sections: work.sections.map((s) => ({
          key: s.key,
          title: t(`home.section.${s.key}`),
          empty: t(`home.none.${s.key}`),
          more: s.count > s.rows.length ? t('home.more', { shown: s.rows.length, count: s.count }) : null,
          rows: s.rows.map(({ deadline, clock, record }) => ({
            type: wordFor(locale, 'record', deadline.recordType),
            label: record.label ?? `#${deadline.recordId}`,
            href: record.href,
            what: wordFor(locale, 'deadline', deadline.kind),
            // What the deadline is, as its workflow said it in words, in the reader's language. A row
            // opened before words has only its English description: a Chinese page has the
            // deadline's kind and record for it.
            description: deadline.words ? say(locale, deadline.words, deadline.description) : locale === 'en' ? deadline.description : null,
            dueAt: deadline.dueAt,
            timeZone: record.timeZone ?? CONSOLE_TIME_ZONE,
            clock,
            clockLabel: t(`home.clock.${clock}`),
            rung: deadline.lastRung ? wordFor(locale, 'rung', deadline.lastRung) : null,
          })),
        })),
      });
    });
  },
};

