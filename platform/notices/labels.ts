import type { Locale } from '../../domain/locale';
import { isMessageKey, say, translate } from '../i18n/catalogue';
import { isWords } from '../../domain/words';

/**
 * Workflows name what is due or missed by key; the recipient's language is only known when the notice
 * is rendered, so the text is chosen here, from the catalogue's `notice.<key>` words (labelWords.ts).
 */
export function label(key: string, locale: Locale): string {
  const id = `notice.${key}`;
  return isMessageKey(id) ? translate(locale, id) : key;
}

export function hasLabel(key: string): boolean {
  return isMessageKey(`notice.${key}`);
}

/**
 * Replaces `<name>Key` entries of a notice context (a `notice.<key>` label) and `<name>Words` entries
 * (words: a catalogue key and its arguments, domain/words.ts) by `<name>` in the recipient's language.
 */
export function localizeContext(context: Record<string, unknown>, locale: Locale): Record<string, unknown> {
  const out: Record<string, unknown> = { ...context };
  for (const [field, value] of Object.entries(context)) {
    if (field.endsWith('Key') && typeof value === 'string') out[field.slice(0, -3)] = label(value, locale);
    if (field.endsWith('Words') && isWords(value)) out[field.slice(0, -5)] = say(locale, value, value.key);
  }
  return out;
}
