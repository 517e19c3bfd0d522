import fs from 'node:fs';
import path from 'node:path';
import Handlebars from 'handlebars';

/** Every time on the console is shown in the business's zone (PRODUCT: customers are in China). */
export const CONSOLE_TIME_ZONE = 'Asia/Shanghai';

export const PAGES = ['login', 'projects', 'project', 'message'] as const;
export type Page = (typeof PAGES)[number];

export type Renderer = (page: Page, context: Record<string, unknown>) => string;

/** Where the console's .hbs files live, from the sources (console/) and from the build (dist/console/). */
export function consoleTemplatesDir(): string {
  // `_console`: the leading underscore keeps notices/render.ts from listing it as a notice template.
  const candidates = [path.resolve(__dirname, '../templates/_console'), path.resolve(__dirname, '../../templates/_console')];
  const found = candidates.find((dir) => fs.existsSync(path.join(dir, 'layout.hbs')));
  if (!found) throw new Error(`Console templates not found in ${candidates.join(' or ')}`);
  return found;
}

const shanghai = new Intl.DateTimeFormat('en-CA', {
  timeZone: CONSOLE_TIME_ZONE,
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  hourCycle: 'h23',
});

/** `2026-03-01 10:00` in Asia/Shanghai. */
export function formatShanghai(date: Date): string {
  const parts = shanghai.formatToParts(date);
  const part = (type: Intl.DateTimeFormatPartTypes) => parts.find((p) => p.type === type)?.value ?? '??';
  return `${part('year')}-${part('month')}-${part('day')} ${part('hour')}:${part('minute')}`;
}

/** `awaiting_kickoff` → `Awaiting kickoff`. */
export function humanize(value: string): string {
  const words = value.replace(/_/g, ' ');
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/**
 * Compiles the layout and pages once. Strict mode: a variable missing from a context throws rather
 * than rendering as '' (view models set absent values to null explicitly). Escaping stays on:
 * nothing in the templates uses triple braces, so every value is HTML-escaped.
 */
export function createRenderer(dir: string = consoleTemplatesDir()): Renderer {
  const hbs = Handlebars.create();
  const read = (name: string) => fs.readFileSync(path.join(dir, `${name}.hbs`), 'utf8');
  hbs.registerPartial('layout', hbs.compile(read('layout'), { strict: true }));
  // `{{time value}}`: a Date (or ISO string) as a <time> element in Asia/Shanghai, or a dash.
  hbs.registerHelper('time', (value: unknown) => {
    const date = value instanceof Date ? value : typeof value === 'string' ? new Date(value) : null;
    if (!date || Number.isNaN(date.getTime())) return new hbs.SafeString('<span class="none">—</span>');
    const iso = hbs.escapeExpression(date.toISOString());
    return new hbs.SafeString(`<time datetime="${iso}">${hbs.escapeExpression(formatShanghai(date))}</time>`);
  });
  // `{{or value "fallback"}}`: the value unless it is null, undefined or ''.
  hbs.registerHelper('or', (value: unknown, fallback: unknown) => (value === null || value === undefined || value === '' ? fallback : value));
  const pages = new Map(PAGES.map((page) => [page, hbs.compile(read(page), { strict: true })]));
  return (page, context) => {
    const template = pages.get(page);
    if (!template) throw new Error(`Unknown console page ${page}`);
    return template(context);
  };
}
