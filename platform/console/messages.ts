/**
 * Every word the console shows, in English and Simplified Chinese. Each area of the console keeps
 * its own table in console/messages/<area>.ts, its zh-CN typed against its English, so a missing
 * translation fails the type check. A new area adds one import and one entry to AREAS; a key
 * defined by two areas is refused when this module loads.
 */
import type { Locale } from '../../people/roles';
import care from '../../processes/care/console/messages';
import common from './messages/common';
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

/** The message in `locale`, `{name}` placeholders filled from `values`. */
export function translate(locale: Locale, key: MessageKey, values: Record<string, string | number> = {}): string {
  return CATALOGS[locale][key].replace(/\{(\w+)\}/g, (whole, name: string) => (name in values ? String(values[name]) : whole));
}
