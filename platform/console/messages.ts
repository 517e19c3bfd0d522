/**
 * Every word the console shows, in English and Simplified Chinese. Each area of the console keeps
 * its own table beside its pages, its zh-CN typed against its English, so a missing translation fails
 * the type check. A new area adds one import and one entry to AREAS; a key defined by two areas is
 * refused when this module loads. The texts are ICU messages (FormatJS's intl-messageformat):
 * `{name}` arguments, and `{count, plural, one {…} other {…}}` where a number changes the words; a
 * test holds both languages of each key to the same arguments.
 */
import { IntlMessageFormat } from 'intl-messageformat';
import { messageArguments } from './icu';
import type { Locale } from '../../people/roles';
import care from '../../processes/care/console/messages';
import common from './messages/common';
import problems from '../http/problemMessagesWords';
import noticeLabels from '../notices/labelWords';
import dealer from '../../processes/dealer/console/messages';
import documents from '../../processes/delivery/console/documentMessages';
import home from '../../reports/home/messages';
import kpis from '../../reports/kpis/messages';
import projects from '../../processes/delivery/console/messages';
import projectSteps from '../../processes/delivery/console/stepMessages';
import signIn from '../../people/console/messages';
import tickets from '../../processes/tickets/console/messages';

const AREAS = [
  common,
  problems,
  noticeLabels,
  signIn,
  home,
  projects,
  projectSteps,
  documents,
  tickets,
  dealer,
  care,
  kpis,
] as const;

type KeysOf<Table> = Table extends { en: infer English } ? keyof English & string : never;
export type MessageKey = KeysOf<(typeof AREAS)[number]>;

function combine(locale: Locale): Record<MessageKey, string> {
  const catalog: Record<string, string> = {};
  for (const area of AREAS) {
    for (const [key, text] of Object.entries(area[locale])) {
      if (key in catalog) throw new Error(`Console message ${key} is defined by two areas`);
      catalog[key] = text;
    }
  }
  return catalog as Record<MessageKey, string>;
}

const CATALOGS: Record<Locale, Record<MessageKey, string>> = { en: combine('en'), 'zh-CN': combine('zh-CN') };

/** The language names as shown in the switch: each in its own language. */
export const LOCALE_NAMES: Record<Locale, string> = { 'zh-CN': '中文', en: 'English' };

export function isMessageKey(key: string): key is MessageKey {
  return Object.prototype.hasOwnProperty.call(CATALOGS.en, key);
}

/** Every message key with its text in each language (tests look for untranslated words with it). */
export function catalog(locale: Locale): Readonly<Record<MessageKey, string>> {
  return CATALOGS[locale];
}

const formats = new Map<string, IntlMessageFormat>();

/** The parsed message, once per key and language (parsing is the costly part). */
function formatOf(locale: Locale, key: MessageKey): IntlMessageFormat {
  const id = `${locale}\u0000${key}`;
  let format = formats.get(id);
  if (!format) {
    // ignoreTag: the texts are plain words (the views escape them); a '<' in one is not markup.
    format = new IntlMessageFormat(CATALOGS[locale][key], locale, undefined, { ignoreTag: true });
    formats.set(id, format);
  }
  return format;
}

/**
 * The message in `locale` with its ICU arguments filled from `values`. An argument not given shows
 * as its `{name}`, as before the catalogue was ICU (a page never fails on a missing value).
 */
export function translate(locale: Locale, key: MessageKey, values: Record<string, string | number> = {}): string {
  const format = formatOf(locale, key);
  const missing = Object.fromEntries(messageArguments(format.getAst()).filter((name) => !(name in values)).map((name) => [name, `{${name}}`]));
  return String(format.format({ ...missing, ...values }));
}
