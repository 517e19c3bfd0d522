import fs from 'node:fs';
import Handlebars from 'handlebars';
import type { Locale } from '../../domain/locale';
import type { FormState } from './forms';
import { isMessageKey, translate } from '../i18n/catalogue';
import { consolePageFile, consolePageFiles } from '../templateFiles';

/** The zone for times that belong to no record (and the default of the business: customers are in China). */
export const CONSOLE_TIME_ZONE = 'Asia/Shanghai';

/** The hidden field every console form carries; console/index.ts reads the token from it. */
export const CSRF_FIELD = '_csrf';

/** A page is a template `<page>.hbs` beside its feature's console code (platform/templateFiles.ts finds it). */
export type Page = string;

/** What every page needs besides its own data. */
export interface PageBase {
  title: string;
  locale: Locale;
  /** Records without a zone of their own are shown in this one. */
  timeZone: string;
  /** Goes into every form; rendering a form without it throws. */
  csrfToken: string;
  user: { name: string; role: string } | null;
  /** The path to come back to after switching the language. */
  here: string;
}

export type Renderer = (page: Page, context: PageBase & Record<string, unknown>) => string;

const formatters = new Map<string, Intl.DateTimeFormat>();

/** `2026-03-01 10:00` in `timeZone`. */
export function formatInZone(date: Date, timeZone: string): string {
  let format = formatters.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
    formatters.set(timeZone, format);
  }
  const parts = format.formatToParts(date);
  const part = (type: Intl.DateTimeFormatPartTypes) => parts.find((p) => p.type === type)?.value ?? '??';
  return `${part('year')}-${part('month')}-${part('day')} ${part('hour')}:${part('minute')}`;
}

/** `awaiting_kickoff` → `Awaiting kickoff`: for values without a translation. */
export function humanize(value: string): string {
  const words = value.replace(/_/g, ' ');
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** A code (a status, a reason, a kind) in the page's language: the catalogue's `<prefix>.<code>`, humanized when it has none. */
export function codeWord(locale: Locale, prefix: string, code: string): string {
  const key = `${prefix}.${code}`;
  return isMessageKey(key) ? translate(locale, key) : humanize(code);
}

/** A stage or role in the page's language. */
export function label(locale: Locale, prefix: 'stage' | 'role', value: string): string {
  return codeWord(locale, prefix, value);
}

type Options = Handlebars.HelperOptions;
const FIELDS_SEEN = 'formFieldsSeen';
const FORM_STATE = 'formState';

function root(options: Options): PageBase {
  return (options.data as { root: PageBase }).root;
}

/** `f-devices-0-serial` for `devices.0.serial`: a valid, readable id. */
function fieldId(name: string): string {
  return `f-${name.replace(/[^A-Za-z0-9_-]/g, '-')}`;
}

/**
 * Compiles the layout and pages once. Strict mode: a variable missing from a context throws rather
 * than rendering as '' (view models set absent values to null explicitly). Escaping stays on:
 * nothing in the templates uses triple braces, and the helpers escape what they build.
 */
export function createRenderer(): Renderer {
  const hbs = Handlebars.create();
  const esc = (value: unknown) => hbs.escapeExpression(String(value));
  const read = (name: string) => fs.readFileSync(consolePageFile(name), 'utf8');
  hbs.registerPartial('layout', hbs.compile(read('layout'), { strict: true }));

  // `{{t "key" name=value}}`: a message in the page's language.
  hbs.registerHelper('t', (key: unknown, options: Options) => {
    if (typeof key !== 'string' || !isMessageKey(key)) throw new Error(`Unknown console message ${String(key)}`);
    return translate(root(options).locale, key, options.hash as Record<string, string | number>);
  });

  // `{{time value}}` or `{{time value zone}}`: a Date (or ISO string) as a <time> element in the
  // record's zone (the page's zone when none is given), or a dash.
  hbs.registerHelper('time', (...args: unknown[]) => {
    const options = args.pop() as Options;
    const [value, zone] = args;
    const timeZone = typeof zone === 'string' && zone !== '' ? zone : root(options).timeZone;
    const date = value instanceof Date ? value : typeof value === 'string' ? new Date(value) : null;
    if (!date || Number.isNaN(date.getTime())) return new hbs.SafeString('<span class="none">—</span>');
    return new hbs.SafeString(`<time datetime="${esc(date.toISOString())}">${esc(formatInZone(date, timeZone))}</time>`);
  });

  // `{{or value "fallback"}}`: the value unless it is null, undefined or ''.
  hbs.registerHelper('or', (value: unknown, fallback: unknown) => (value === null || value === undefined || value === '' ? fallback : value));

  // `{{#form "/path" state=someFormState class="…"}}…{{/form}}`: a POST form with the CSRF token,
  // and above it the problems that belong to no field shown inside it.
  hbs.registerHelper('form', function (this: unknown, action: unknown, options: Options) {
    const token = root(options).csrfToken;
    if (typeof token !== 'string' || token === '') throw new Error('A console form needs the page’s csrfToken');
    const state = options.hash.state as FormState | undefined;
    const seen = new Set<string>();
    const data = hbs.createFrame(options.data as object) as Record<string, unknown>;
    data[FIELDS_SEEN] = seen;
    data[FORM_STATE] = state;
    const inner = options.fn(this, { data });
    const problems = [...(state?.problems ?? []), ...Object.entries(state?.errors ?? {}).filter(([field]) => !seen.has(field)).flatMap(([field, messages]) => messages.map((m) => `${field}: ${m}`))];
    const className = typeof options.hash.class === 'string' ? ` class="${esc(options.hash.class)}"` : '';
    const alert = problems.length > 0 ? `<div class="error" role="alert"><ul>${problems.map((p) => `<li>${esc(p)}</li>`).join('')}</ul></div>\n` : '';
    return new hbs.SafeString(
      `${alert}<form method="post" action="${esc(action)}"${className}>\n<input type="hidden" name="${CSRF_FIELD}" value="${esc(token)}">\n${inner}</form>`,
    );
  });

  // `{{field "name" label="…" type="text" required=true autocomplete="off" hint="…" id="…"}}` inside
  // {{#form}}: a labelled input showing the sent value again (never a password), with the form
  // state's problems for it right beside it.
  hbs.registerHelper('field', (name: unknown, options: Options) => {
    if (typeof name !== 'string') throw new Error('field needs a name');
    const seen = (options.data as Record<string, unknown>)[FIELDS_SEEN] as Set<string> | undefined;
    if (!seen) throw new Error(`field ${name} must be inside {{#form}}`);
    seen.add(name);
    const hash = options.hash as Record<string, unknown>;
    const state = (options.data as Record<string, unknown>)[FORM_STATE] as FormState | undefined;
    // `id="…"` when a page has several forms with a field of the same name.
    const id = fieldId(typeof options.hash.id === 'string' ? options.hash.id : name);
    const errors = state?.errors[name] ?? [];
    const type = typeof hash.type === 'string' ? hash.type : 'text';
    // A secret is never sent back to the browser.
    const value = type === 'password' ? '' : (state?.values[name] ?? '');
    const attributes = [
      `id="${id}"`,
      `name="${esc(name)}"`,
      `type="${esc(type)}"`,
      ...(value !== '' ? [`value="${esc(value)}"`] : []),
      ...(typeof hash.autocomplete === 'string' ? [`autocomplete="${esc(hash.autocomplete)}"`] : []),
      ...(hash.required === true ? ['required'] : []),
      ...(hash.autofocus === true ? ['autofocus'] : []),
      ...(type === 'password' ? ['spellcheck="false"'] : []),
      ...(errors.length > 0 ? ['aria-invalid="true"', `aria-describedby="${id}-error"`] : []),
    ];
    const hint = typeof hash.hint === 'string' ? `\n  <p class="hint">${esc(hash.hint)}</p>` : '';
    const problems = errors.length > 0 ? `\n  <p class="field-error" id="${id}-error">${errors.map(esc).join('<br>')}</p>` : '';
    const labelled = `<label for="${id}">${esc(hash.label ?? name)}</label>`;
    const described = errors.length > 0 ? ` aria-invalid="true" aria-describedby="${id}-error"` : '';
    const required = hash.required === true ? ' required' : '';
    let control: string;
    if (type === 'textarea') {
      control = `${labelled}\n  <textarea id="${id}" name="${esc(name)}" rows="3"${required}${described}>${esc(value)}</textarea>`;
    } else if (type === 'select') {
      // `options`: [{ value, label }]; a first empty choice unless the field is required.
      const choices = (Array.isArray(hash.options) ? hash.options : []) as Array<{ value: string; label: string }>;
      const blank = hash.required === true ? '' : '<option value=""></option>';
      const items = choices.map((o) => `<option value="${esc(o.value)}"${o.value === value ? ' selected' : ''}>${esc(o.label)}</option>`).join('');
      control = `${labelled}\n  <select id="${id}" name="${esc(name)}"${required}${described}>${blank}${items}</select>`;
    } else if (type === 'checkbox') {
      // Checked sends "true"; unchecked sends nothing, which the page reads as false.
      control = `<input id="${id}" name="${esc(name)}" type="checkbox" value="true"${value === 'true' ? ' checked' : ''}${described}> ${labelled}`;
    } else {
      control = `${labelled}\n  <input ${attributes.join(' ')}>`;
    }
    return new hbs.SafeString(`<div class="field field-${esc(type)}${errors.length > 0 ? ' invalid' : ''}">\n  ${control}${problems}${hint}\n</div>\n`);
  });

  const names = [...consolePageFiles().keys()].filter((page) => page !== 'layout');
  // `{{fieldErrors "signatures"}}` inside {{#form}}: the problems of a whole group of fields (a
  // list or table as the API names it), shown where the group is rather than above the form.
  hbs.registerHelper('fieldErrors', (name: unknown, options: Options) => {
    const seen = (options.data as Record<string, unknown>)[FIELDS_SEEN] as Set<string> | undefined;
    if (typeof name !== 'string' || !seen) throw new Error('fieldErrors needs a name, inside {{#form}}');
    seen.add(name);
    const errors = ((options.data as Record<string, unknown>)[FORM_STATE] as FormState | undefined)?.errors[name] ?? [];
    return new hbs.SafeString(errors.length > 0 ? `<p class="field-error" id="${fieldId(name)}-error">${errors.map(esc).join('<br>')}</p>` : '');
  });

  const pages = new Map(names.map((page) => [page, hbs.compile(read(page), { strict: true })]));
  return (page, context) => {
    const template = pages.get(page);
    if (!template) throw new Error(`Unknown console page ${page}`);
    return template(context);
  };
}
