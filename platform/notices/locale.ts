/** The languages notices are written in; anything else falls back to English. */
export type Locale = 'zh-CN' | 'en';

export const LOCALES: readonly Locale[] = ['zh-CN', 'en'];

/** Maps a stored or user-supplied language tag ('zh', 'zh-cn', 'zh-Hans-CN', 'en-US', …) to a Locale. */
export function resolveLocale(value: string | null | undefined): Locale {
  return value?.trim().toLowerCase().startsWith('zh') ? 'zh-CN' : 'en';
}
