/**
 * A ticket's codes and timeline in the page's language. The workflow records what each event says as
 * words (a catalogue key and its arguments), said here in the reader's language. Rows stored before
 * words have only their English sentence: those of a known shape are said in Chinese with their
 * values, any other as recorded.
 */
import type { Locale } from '../../../people/roles';
import { isMessageKey, say, translate, type MessageKey } from '../../../platform/i18n/catalogue';
import type { Words } from '../../../domain/words';
import { humanize } from '../../../platform/console/views';

/** A ticket code (kind, status, entitlement, event kind) by its catalog key, humanized when it has none. */
export function ticketWord(locale: Locale, prefix: 'ticket.kind' | 'ticket.status' | 'ticket.entitlementOf' | 'ticket.event', code: string): string {
  const key = `${prefix}.${code}`;
  return isMessageKey(key) ? translate(locale, key) : humanize(code);
}

/** The recorded summaries' shapes, each with the message that says it and the names of its values. */
const SUMMARIES: ReadonlyArray<readonly [RegExp, MessageKey, readonly string[]]> = [
  [/^assigned to (.+)$/, 'timeline.ticket.assigned', ['name']],
  [/^engineer responded$/, 'timeline.ticket.responded', []],
  [/^complaint answered$/, 'timeline.ticket.answered', []],
  [/^engineer on site$/, 'timeline.ticket.arrived', []],
  [/^on hold: waiting for (\w+) \((.*)\)$/, 'timeline.ticket.holdNote', ['reason', 'note']],
  [/^on hold: waiting for (\w+)$/, 'timeline.ticket.hold', ['reason']],
  [/^work resumed: the clocks run again$/, 'timeline.ticket.resumed', []],
  [/^fault level (\d) → (\d): (.*)$/, 'timeline.ticket.level', ['from', 'to', 'reason']],
  [/^resolved: (.*)$/, 'timeline.ticket.resolved', ['work']],
  [/^closed; survey due by (.+)$/, 'timeline.ticket.closed', ['due']],
  [/^survey (\d)\/5: satisfied$/, 'timeline.ticket.satisfied', ['score']],
  [/^survey (\d)\/5(, not satisfied)?: reopened$/, 'timeline.ticket.unsatisfied', ['score', 'notSatisfied']],
  [/^survey missed: no answer by its due time, closed as it stands$/, 'timeline.ticket.surveyMissed', []],
  [/^no active care plan covers the device: no return call scheduled$/, 'timeline.ticket.noPlan', []],
  [/^no registered device: no care plan to put a return call on$/, 'timeline.ticket.noDevice', []],
  [/^return call due by (.+) on care plan (\d+)$/, 'timeline.ticket.returnCall', ['due', 'plan']],
  [/^care plan (\d+) has ended: no return call scheduled$/, 'timeline.ticket.planEnded', ['plan']],
  // As a reader who may not open the linked record sees them (api/tickets/links.ts).
  [/^opened from asset care$/, 'timeline.ticket.fromCare', []],
  [/^return call scheduled on the device’s care plan$/, 'timeline.ticket.callScheduled', []],
  [/^no return call scheduled$/, 'timeline.ticket.noCall', []],
  [/^linked record not shown$/, 'timeline.ticket.withheld', []],
];

/** An event's words in `locale`; an event stored before words by its sentence (ticketSummary). */
export function ticketEventText(locale: Locale, event: { words: Words | null; summary: string }): string {
  return say(locale, event.words, ticketSummary(locale, event.summary));
}

/** A stored sentence in `locale`: English as recorded; Chinese for a known shape, else as recorded. */
export function ticketSummary(locale: Locale, summary: string): string {
  if (locale === 'en') return summary;
  for (const [shape, key, names] of SUMMARIES) {
    const match = shape.exec(summary);
    if (!match) continue;
    const values = Object.fromEntries(names.map((name, i) => [name, match[i + 1] ?? '']));
    // The messages choose their words by code (the hold's reason, whether the customer said not satisfied).
    if ('notSatisfied' in values) values.notSatisfied = values.notSatisfied ? 'yes' : 'no';
    return translate(locale, key, values);
  }
  return summary;
}
