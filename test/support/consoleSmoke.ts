/**
 * The smoke pass of the console's browser tests: a page opened in one language must answer 200,
 * say that language in <html lang>, show nothing of the other language (an untranslated message, a
 * message key, a hard-coded text), and its list's export links must answer 200 in that language too.
 * Each page is screenshotted. The checks answer problems as text, so one run names every page and
 * word that is wrong instead of stopping at the first.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import type { Locale } from '../../people/roles';
import { catalog, LOCALE_NAMES } from '../../platform/i18n/catalogue';

/** English names a Chinese page keeps: the product's, the file formats', the API's. */
const KEPT_IN_ENGLISH = new Set(['Aftercare', 'CSV', 'Excel', 'JSON', 'API', 'OpenAPI', 'JSON API', 'OpenAPI 文档']);

/**
 * What a Chinese text shows in English: any English message of the catalog that is a phrase (a zh
 * text copied from the English, or an English page's word left in), any message key, any run of
 * three or more English words, and any line or table cell that is English words alone (a humanized
 * code such as "On site").
 */
function englishLeft(text: string): string[] {
  const en = catalog('en');
  const found: string[] = [];
  for (const key of Object.keys(en) as Array<keyof typeof en>) {
    const english = en[key].replace(/\{\w+\}.*$/, '').trim();
    if (english.length >= 8 && /\s/.test(english) && text.includes(english)) found.push(`${key}: ${english}`);
  }
  for (const run of text.matchAll(/[A-Za-z]{2,}(?:[ ,]+[A-Za-z]{2,}){2,}/g)) found.push(`words: ${run[0]}`);
  for (const cell of text.split(/[\t\n]/).map((c) => c.trim())) {
    if (/^[A-Za-z][A-Za-z ,'-]*[A-Za-z]$/.test(cell) && !KEPT_IN_ENGLISH.has(cell) && !/^[A-Za-z]{2,}(?:[ ,]+[A-Za-z]{2,}){2,}$/.test(cell)) found.push(`cell: ${cell}`);
  }
  return found;
}

/** What an English text shows in Chinese: any run of CJK characters or full-width punctuation. */
function chineseLeft(text: string): string[] {
  return [...text.matchAll(/[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]+/g)].map((run) => `zh: ${run[0]}`);
}

/**
 * The other language's words left in `text`, shown in `locale`. `data` are the records' own values
 * (names, findings typed in the other language), which a page shows as they were written; the
 * language switch names each language in its own.
 */
export function untranslated(text: string, locale: Locale, data: readonly string[] = []): string[] {
  let rest = text;
  for (const value of [...data, ...Object.values(LOCALE_NAMES)].sort((a, b) => b.length - a.length)) rest = rest.split(value).join(' ');
  const keys = (Object.keys(catalog('en')) as string[]).filter((key) => /\.[a-z]/.test(key) && rest.includes(key)).map((key) => `key ${key}`);
  return [...keys, ...(locale === 'en' ? chineseLeft(rest) : englishLeft(rest))];
}

export interface SmokeOptions {
  /** The console's address, e.g. http://127.0.0.1:1234. */
  base: string;
  locale: Locale;
  /** The folder the screenshot goes to, as `<name>.png`. */
  screenshots: string;
  data?: readonly string[];
}

/** Opens `target` on the signed-in `page` and answers what is wrong with it (nothing: []). */
export async function smokePage(page: Page, target: string, name: string, options: SmokeOptions): Promise<string[]> {
  const problems: string[] = [];
  const answer = await page.goto(`${options.base}${target}`);
  if (answer?.status() !== 200) problems.push(`${target}: status ${answer?.status()}`);
  const lang = await page.locator('html').getAttribute('lang');
  if (lang !== options.locale) problems.push(`${target}: <html lang="${lang}">`);
  if ((await page.locator('h1').count()) !== 1) problems.push(`${target}: not one h1`);
  for (const word of untranslated(await page.locator('body').innerText(), options.locale, options.data)) problems.push(`${target}: ${word}`);
  for (const href of await page.locator('p.exports a[href]').evaluateAll((links) => links.map((a) => a.getAttribute('href')!))) {
    const file = await page.request.get(`${options.base}${href}`);
    if (file.status() !== 200) problems.push(`${href}: status ${file.status()}`);
    else if (href.includes('.csv')) for (const word of untranslated(await file.text(), options.locale, options.data)) problems.push(`${href}: ${word}`);
  }
  fs.mkdirSync(options.screenshots, { recursive: true });
  await page.screenshot({ path: path.join(options.screenshots, `${name}.png`), fullPage: true });
  return problems;
}

/** Smokes each [name, target] in turn; answers every problem found. */
export async function smokePages(page: Page, pages: ReadonlyArray<readonly [string, string]>, options: SmokeOptions): Promise<string[]> {
  const problems: string[] = [];
  for (const [name, target] of pages) problems.push(...(await smokePage(page, target, name, options)));
  return problems;
}
