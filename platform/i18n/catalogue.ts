/**
 * The one catalogue of words: everything Aftercare says to a person (console pages, the API's
 * problems and refusals, notice labels, timeline entries, deadlines, statuses), in English and
 * Simplified Chinese. Each area's table is a file in `words/` (one folder for translators to work
 * in; the platform below every feature holds them, so no layer imports upward), its zh-CN typed
 * against its English, so a missing translation fails the type check. A new area adds one file, one
 * import and one entry to AREAS; a key defined by two areas is refused when this module loads. The texts are ICU messages (FormatJS's intl-messageformat):
 * `{name}` arguments, and `{count, plural, one {…} other {…}}` where a number changes the words; a
 * test holds both languages of each key to the same arguments.
 */
import { IntlMessageFormat } from 'intl-messageformat';
import { messageArguments } from './icu';
import type { Locale } from '../../domain/locale';
import type { Words } from '../../domain/words';
import care from './words/care';
import common from './words/common';
import problems from './words/problems';
import apiErrors from './words/apiErrors';
import installedBase from './words/installedBase';
import schedule from './words/schedule';
import noticeLabels from './words/noticeLabels';
import dealer from './words/dealer';
import documents from './words/documents';
import home from './words/home';
import kpis from './words/kpis';
import projects from './words/projects';
import projectSteps from './words/projectSteps';
import signIn from './words/signIn';
import secondFactor from './words/secondFactor';
import sso from './words/sso';
import peopleAdmin from './words/peopleAdmin';
import profile from './words/profile';
import tickets from './words/tickets';

const AREAS = [
  common,
  problems,
  apiErrors,
  installedBase,
  schedule,
  noticeLabels,
  signIn,
  secondFactor,
  sso,
  peopleAdmin,
  profile,
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

interface ParsedMessage {
  format: IntlMessageFormat;
  /** Its arguments' names, read once: a missing one is filled with its `{name}`. */
  argumentNames: readonly string[];
}

const formats = new Map<string, ParsedMessage>();

/** The parsed message, once per key and language (parsing is the costly part). */
function formatOf(locale: Locale, key: MessageKey): ParsedMessage {
  const id = `${locale}\u0000${key}`;
  let parsed = formats.get(id);
  if (!parsed) {
    // ignoreTag: the texts are plain words (the views escape them); a '<' in one is not markup.
    const format = new IntlMessageFormat(CATALOGS[locale][key], locale, undefined, { ignoreTag: true });
    parsed = { format, argumentNames: messageArguments(format.getAst()) };
    formats.set(id, parsed);
  }
  return parsed;
}

/**
 * The message in `locale` with its ICU arguments filled from `values`. An argument not given shows
 * as its `{name}`, as before the catalogue was ICU (a page never fails on a missing value).
 */
export function translate(locale: Locale, key: MessageKey, values: Record<string, string | number> = {}): string {
  const { format, argumentNames } = formatOf(locale, key);
  const filled: Record<string, string | number> = {};
  for (const name of argumentNames) filled[name] = name in values ? (values[name] as string | number) : `{${name}}`;
  return String(format.format({ ...values, ...filled }));
}

/** The arguments a key's message needs (in English, which every language matches: a test holds them equal). */
export function argumentsOf(key: MessageKey): readonly string[] {
  return formatOf('en', key).argumentNames;
}

/**
 * Words (a key and its arguments, domain/words.ts) in `locale`. `fallback` is what is said when the
 * key is not in the catalogue or an argument is missing: the sentence a row stored before it had
 * words, or the key itself. A null argument reads as empty.
 */
export function say(locale: Locale, said: Words | null | undefined, fallback?: string): string {
  if (!said || !isMessageKey(said.key)) return fallback ?? (said ? said.key : '');
  const params = said.params ?? {};
  if (fallback !== undefined && argumentsOf(said.key).some((name) => !(name in params))) return fallback;
  const values: Record<string, string | number> = {};
  for (const [name, value] of Object.entries(params)) values[name] = value ?? '';
  return translate(locale, said.key, values);
}
