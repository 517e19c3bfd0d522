/**
 * Words, not sentences, in the console's templates (issue #20; `npm run lint` runs it): a console
 * template says every word through the catalogue (`{{t "key"}}` or a value its page said in the
 * reader's language), so the page reads the same in zh-CN and en. Text written in a template, and
 * the attributes a person reads (`title`, `alt`, `placeholder`, `aria-label`, a button's `value`), may
 * hold markup, punctuation, symbols, numbers and whitespace, but no letters.
 *
 * Handlebars' own parser finds what is the template's text (its ContentStatements), so nothing inside
 * `{{…}}` is taken for text; the HTML around it is read by a small tag scanner: comments, `<script>`
 * and `<style>` bodies and character references (`&nbsp;`) are not words.
 *
 * Notice templates are not checked: each is written per locale (`notices/<name>/<locale>.*.hbs`).
 *
 *   npx tsx scripts/lintTemplates.ts          checks every console template of the project
 */
import fs from 'node:fs';
import path from 'node:path';
import Handlebars from 'handlebars';
import { consolePageFiles, projectRoot } from '../platform/templateFiles';

/**
 * Words a template may write as they are, and why:
 * - `Aftercare`: the product's name, the same in every language (the page title's suffix).
 */
export const ALLOWED = new Set(['Aftercare']);

/** The attributes a person reads (or hears, from a screen reader). */
const WORD_ATTRIBUTES = new Set(['title', 'alt', 'placeholder', 'aria-label', 'aria-description', 'aria-placeholder', 'aria-roledescription', 'aria-valuetext', 'label']);
/** Input types whose `value` is the button's text. */
const BUTTON_TYPES = new Set(['submit', 'button', 'reset']);

const LETTER = /\p{L}/u;
/** Where the template is not text: a `{{…}}` (masked when the template is read). */
const MASK = '\u0000';

/** `name="value"` (or 'value', or unquoted) inside a tag; a masked `{{…}}` is never part of a name. */
const ATTRIBUTE = new RegExp(`([^\\s=<>"'/${MASK}]+)\\s*=\\s*(?:"([^"]*)"|'([^']*)'|([^\\s>"']+))`, 'g');

export interface TemplateProblem {
  line: number;
  text: string;
}

/** The template with everything that is not its text (every `{{…}}`, block and comment) masked, newlines kept. */
function textOnly(source: string): string {
  const lineStarts = [0];
  for (let i = 0; i < source.length; i += 1) if (source[i] === '\n') lineStarts.push(i + 1);
  const offset = (position: { line: number; column: number }) => lineStarts[position.line - 1]! + position.column;
  const isText = new Uint8Array(source.length);
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(visit);
    if (typeof node !== 'object' || node === null) return;
    const statement = node as { type?: string; loc?: hbs.AST.SourceLocation };
    if (statement.type === 'ContentStatement' && statement.loc) {
      isText.fill(1, offset(statement.loc.start), offset(statement.loc.end));
      return;
    }
    for (const [key, value] of Object.entries(node)) if (key !== 'loc') visit(value);
  };
  visit(Handlebars.parse(source));
  return source.split('').map((c, i) => (c === '\n' || isText[i] ? c : MASK)).join('');
}

/** Letters in `text` (masks and character references taken out), each run between masks on its own. */
function wordsIn(text: string): string[] {
  return text
    .replace(/&(?:#\d+|#x[0-9a-f]+|[a-z][a-z0-9]*);/gi, ' ')
    .split(new RegExp(`${MASK}+`))
    .map((piece) => piece.replace(/\s+/g, ' ').trim())
    .filter((piece) => LETTER.test(piece.split(/([\p{L}\p{N}_-]+)/u).filter((word) => !ALLOWED.has(word)).join('')));
}

/** What `source` (a console template) writes as words, by line. */
export function templateProblems(source: string): TemplateProblem[] {
  // Same length as the source, so an offset in it is an offset in the source.
  const text = textOnly(source)
    .replace(/<!--[\s\S]*?-->/g, (c) => c.replace(/[^\n]/g, ' '))
    .replace(/(<(script|style)\b[^>]*>)([\s\S]*?)(<\/\2\s*>)/gi, (_all, open: string, _name, body: string, close: string) => open + body.replace(/[^\n]/g, ' ') + close);
  const lineAt = (index: number) => source.slice(0, index).split('\n').length;
  const problems: TemplateProblem[] = [];
  const tag = /<[^<>]*>/g;
  let textFrom = 0;
  const checkText = (from: number, to: number) => {
    for (const said of wordsIn(text.slice(from, to))) problems.push({ line: lineAt(from + text.slice(from, to).search(/\p{L}/u)), text: said });
  };
  for (let match = tag.exec(text); match; match = tag.exec(text)) {
    checkText(textFrom, match.index);
    textFrom = match.index + match[0].length;
    if (/^<[!/]/.test(match[0])) continue;
    const attributes = [...match[0].matchAll(ATTRIBUTE)].map((a) => ({ name: a[1]!.toLowerCase(), value: a[2] ?? a[3] ?? a[4] ?? '', index: match.index + a.index }));
    const type = attributes.find((a) => a.name === 'type')?.value.toLowerCase();
    for (const attribute of attributes) {
      if (!WORD_ATTRIBUTES.has(attribute.name) && !(attribute.name === 'value' && type !== undefined && BUTTON_TYPES.has(type))) continue;
      for (const said of wordsIn(attribute.value)) problems.push({ line: lineAt(attribute.index), text: said });
    }
  }
  checkText(textFrom, text.length);
  return problems;
}

function main(): void {
  const root = projectRoot();
  let count = 0;
  for (const file of [...consolePageFiles().values()].sort()) {
    for (const problem of templateProblems(fs.readFileSync(file, 'utf8'))) {
      count += 1;
      console.error(`${path.relative(root, file)}:${problem.line}: words written in a console template ('${problem.text}'): put them in the area's messages.ts (en and zh-CN) and write {{t "<key>"}}`);
    }
  }
  if (count > 0) {
    console.error(`${count} word(s) written in console templates (scripts/lintTemplates.ts; docs/console.md, "Words, not sentences").`);
    process.exitCode = 1;
  }
}

if (require.main === module) main();
