import fs from 'node:fs';
import path from 'node:path';
import Handlebars from 'handlebars';
import { formatDate, formatDuration, formatMoney, type DateStyle } from './format';
import { resolveLocale, type Locale } from '../../domain/locale';
import { noticeLayoutFile, noticeTemplateDirs } from '../templateFiles';
import { isTimeZone } from '../../domain/calendar';

export interface RenderedNotice {
  subject: string;
  html: string;
  text: string;
  /** The locale actually used: the requested one, or 'en' when the template lacks it. */
  locale: Locale;
}

export interface RenderOptions {
  /** IANA zone of the recipient for the `date` helper; defaults to the business's zone. */
  timeZone?: string;
}

export const DEFAULT_TIME_ZONE = 'Asia/Shanghai';

export class UnknownTemplateError extends Error {
  constructor(readonly template: string, known: string[]) {
    super(`Unknown notice template "${template}" (known: ${known.join(', ') || 'none'})`);
    this.name = 'UnknownTemplateError';
  }
}

/** A template failed on the given context (usually a missing variable); retrying will not help. */
export class NoticeRenderError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'NoticeRenderError';
  }
}

type Part = 'subject' | 'html' | 'text';
type Compiled = Record<Part, Handlebars.TemplateDelegate> & { locale: Locale; layout: Handlebars.TemplateDelegate };
interface RenderData {
  locale: Locale;
  timeZone: string;
  subject?: string;
}

const handlebars = Handlebars.create();

// Helpers read the recipient's locale and zone from @data, so templates stay free of formatting arguments.
handlebars.registerHelper('date', function (value: unknown, ...rest: unknown[]) {
  const { data } = rest.pop() as Handlebars.HelperOptions;
  const style = (typeof rest[0] === 'string' ? rest[0] : 'datetime') as DateStyle;
  return formatDate(value, (data as RenderData).locale, (data as RenderData).timeZone, style);
});
handlebars.registerHelper('duration', function (value: unknown, options: Handlebars.HelperOptions) {
  return formatDuration(value, (options.data as RenderData).locale);
});
handlebars.registerHelper('money', function (value: unknown, options: Handlebars.HelperOptions) {
  return formatMoney(value, (options.data as RenderData).locale);
});

// Strict mode does not reach block-helper arguments, so a missing list would quietly render `{{else}}`.
const builtinEach = handlebars.helpers.each as Handlebars.HelperDelegate;
handlebars.registerHelper('each', function (this: unknown, list: unknown, options: Handlebars.HelperOptions & { loc?: { start: { line: number } } }) {
  if (list === undefined || list === null) throw new Error(`#each on line ${options.loc?.start.line ?? '?'} got no list (${String(list)})`);
  return builtinEach.call(this, list, options);
});

/** Every template name. */
export function listTemplates(): string[] {
  return [...noticeTemplateDirs().keys()].sort();
}

const cache = new Map<string, Compiled>();

function compileFile(file: string, escapeHtml: boolean): Handlebars.TemplateDelegate {
  // Strict: a variable missing from the context throws instead of rendering as ''.
  return handlebars.compile(fs.readFileSync(file, 'utf8'), { strict: true, noEscape: !escapeHtml });
}

function load(template: string, requested: Locale): Compiled {
  const key = `${template}/${requested}`;
  const cached = cache.get(key);
  if (cached) return cached;
  const dir = /^[a-z0-9][a-z0-9-]*$/.test(template) ? noticeTemplateDirs().get(template) : undefined;
  if (!dir) throw new UnknownTemplateError(template, listTemplates());
  const locale = fs.existsSync(path.join(dir, `${requested}.html.hbs`)) ? requested : 'en';
  const compiled: Compiled = {
    locale,
    subject: compileFile(path.join(dir, `${locale}.subject.hbs`), false),
    html: compileFile(path.join(dir, `${locale}.html.hbs`), true),
    text: compileFile(path.join(dir, `${locale}.text.hbs`), false),
    layout: compileFile(noticeLayoutFile(locale), true),
  };
  cache.set(key, compiled);
  return compiled;
}

function assertTimeZone(timeZone: string): void {
  if (!isTimeZone(timeZone)) throw new NoticeRenderError(`Unknown time zone "${timeZone}"`);
}

/**
 * Renders a notice in the recipient's language. An unknown locale falls back to 'en'; an unknown
 * template throws UnknownTemplateError; a missing variable throws NoticeRenderError.
 */
export function renderNotice(template: string, locale: Locale | string, context: Record<string, unknown>, options: RenderOptions = {}): RenderedNotice {
  const compiled = load(template, resolveLocale(locale));
  const timeZone = options.timeZone ?? DEFAULT_TIME_ZONE;
  assertTimeZone(timeZone);
  const run = (part: Part, data: RenderData): string => {
    try {
      return compiled[part](context, { data, partials: { layout: compiled.layout } });
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new NoticeRenderError(`Notice template ${template}/${compiled.locale}.${part}: ${reason}`, { cause: error });
    }
  };
  const data: RenderData = { locale: compiled.locale, timeZone };
  const subject = run('subject', data).replace(/\s+/g, ' ').trim();
  return {
    subject,
    html: run('html', { ...data, subject }),
    text: `${run('text', data).trim()}\n`,
    locale: compiled.locale,
  };
}
