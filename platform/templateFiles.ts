/**
 * Where the .hbs files are. Each feature keeps its own templates beside its code (a notice as
 * `notices/<name>/<locale>.{subject,html,text}.hbs`, a console page as `<page>.hbs`), so the platform
 * finds them by walking the project once instead of naming any feature.
 */
import fs from 'node:fs';
import path from 'node:path';

/** Folders that hold no templates of the running product. */
const SKIPPED = new Set(['node_modules', 'dist', 'data', 'coverage', 'test', '.git', '.ci']);

/** The project's root (the folder with package.json), from the sources and from the build in dist/. */
export function projectRoot(): string {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'package.json')) && path.basename(dir) !== 'dist') return dir;
    if (path.dirname(dir) === dir) throw new Error(`No package.json above ${__dirname}`);
  }
}

let found: string[] | undefined;

/** Every .hbs file of the project, read once. */
function handlebarsFiles(): string[] {
  if (found) return found;
  const files: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      if (entry.isDirectory()) {
        if (!SKIPPED.has(entry.name)) walk(path.join(dir, entry.name));
      } else if (entry.name.endsWith('.hbs')) files.push(path.join(dir, entry.name));
    }
  };
  walk(projectRoot());
  found = files.sort();
  return found;
}

function byName(entries: Array<[string, string]>, what: string): Map<string, string> {
  const map = new Map<string, string>();
  for (const [name, place] of entries) {
    const other = map.get(name);
    if (other !== undefined && other !== place) throw new Error(`Two ${what} named ${name}: ${other} and ${place}`);
    map.set(name, place);
  }
  return map;
}

/** Notice templates by name: a folder with an `en.subject.hbs` is one. */
export function noticeTemplateDirs(): Map<string, string> {
  const dirs = handlebarsFiles().filter((f) => path.basename(f) === 'en.subject.hbs').map((f) => path.dirname(f));
  return byName(dirs.map((dir) => [path.basename(dir), dir]), 'notice templates');
}

/** The notices' HTML layout for a locale. */
export function noticeLayoutFile(locale: string): string {
  return path.join(projectRoot(), 'platform', 'notices', 'layouts', `_layout.${locale}.html.hbs`);
}

/** Console templates by page name: every .hbs file that is not part of a notice. */
export function consolePageFiles(): Map<string, string> {
  const notices = new Set(noticeTemplateDirs().values());
  const pages = handlebarsFiles().filter((f) => !notices.has(path.dirname(f)) && !path.basename(f).startsWith('_layout.'));
  return byName(pages.map((file) => [path.basename(file, '.hbs'), file]), 'console pages');
}

/** A console page's template file; throws for an unknown page. */
export function consolePageFile(page: string): string {
  const file = consolePageFiles().get(page);
  if (!file) throw new Error(`No console template ${page}.hbs`);
  return file;
}
