/** The languages Aftercare speaks: the console, notices, the API's messages. */
export const LOCALES = ['zh-CN', 'en'] as const;

export type Locale = (typeof LOCALES)[number];

/** Maps a stored or user-supplied language tag ('zh', 'zh-cn', 'zh-Hans-CN', 'en-US', …) to a Locale; anything else is English. */
export function resolveLocale(value: string | null | undefined): Locale {
  return value?.trim().toLowerCase().startsWith('zh') ? 'zh-CN' : 'en';
}
