/**
 * A ticket's codes and timeline in the page's language. The workflow records each event's summary
 * in English (the API's record, for every reader); the console shows the summaries of a known shape
 * in Chinese with their values, and any other as recorded.
 */
import type { Locale } from '../../../people/roles';
import { isMessageKey, translate, type MessageKey } from '../../../platform/console/messages';
import { humanize } from '../../../platform/console/views';

/** A ticket code (kind, status, entitlement, event kind) by its catalog key, humanized when it has none. */
export function ticketWord(locale: Locale, prefix: 'ticket.kind' | 'ticket.status' | 'ticket.entitlementOf' | 'ticket.event', code: string): string {
  const key = `${prefix}.${code}`;
  return isMessageKey(key) ? translate(locale, key) : humanize(code);
}

/** The recorded summaries' shapes, each with the message that says it and the names of its values. */
const SUMMARIES: ReadonlyArray<readonly [RegExp, MessageKey, readonly string[]]> = [
  [/^assigned to (.+)$/, 'ticket.summary.assigned', ['name']],
  [/^engineer responded$/, 'ticket.summary.responded', []],
  [/^complaint answered$/, 'ticket.summary.answered', []],
  [/^engineer on site$/, 'ticket.summary.arrived', []],
  [/^on hold: waiting for (\w+) \((.*)\)$/, 'ticket.summary.holdNote', ['reason', 'note']],
  [/^on hold: waiting for (\w+)$/, 'ticket.summary.hold', ['reason']],
  [/^work resumed: the clocks run again$/, 'ticket.summary.resumed', []],
  [/^fault level (\d) → (\d): (.*)$/, 'ticket.summary.level', ['from', 'to', 'reason']],
  [/^resolved: (.*)$/, 'ticket.summary.resolved', ['work']],
  [/^closed; survey due by (.+)$/, 'ticket.summary.closed', ['due']],
  [/^survey (\d)\/5: satisfied$/, 'ticket.summary.satisfied', ['score']],
  [/^survey (\d)\/5(?:, not satisfied)?: reopened$/, 'ticket.summary.unsatisfied', ['score']],
  [/^survey missed: no answer by its due time, closed as it stands$/, 'ticket.summary.surveyMissed', []],
  [/^no active care plan covers the device: no return call scheduled$/, 'ticket.summary.noPlan', []],
  [/^no registered device: no care plan to put a return call on$/, 'ticket.summary.noDevice', []],
  [/^return call due by (.+) on care plan (\d+)$/, 'ticket.summary.returnCall', ['due', 'plan']],
  [/^care plan (\d+) has ended: no return call scheduled$/, 'ticket.summary.planEnded', ['plan']],
  // As a reader who may not open the linked record sees them (api/tickets/links.ts).
  [/^opened from asset care$/, 'ticket.summary.fromCare', []],
  [/^return call scheduled on the device’s care plan$/, 'ticket.summary.callScheduled', []],
  [/^no return call scheduled$/, 'ticket.summary.noCall', []],
  [/^linked record not shown$/, 'ticket.summary.withheld', []],
];

/** An event's summary in `locale`: English as recorded; Chinese for a known shape, else as recorded. */
export function ticketSummary(locale: Locale, summary: string): string {
  if (locale === 'en') return summary;
  for (const [shape, key, names] of SUMMARIES) {
    const match = shape.exec(summary);
    if (!match) continue;
    const values = Object.fromEntries(names.map((name, i) => [name, match[i + 1]!]));
    if (values.reason && isMessageKey(`ticket.holdReason.${values.reason}`)) values.reason = translate(locale, `ticket.holdReason.${values.reason}` as MessageKey);
    return translate(locale, key, values);
  }
  return summary;
}
