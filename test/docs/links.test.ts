import fs from 'node:fs';
import path from 'node:path';

const ROOT = path.join(__dirname, '..', '..');

/** README.md and every Markdown file under docs/. */
function documents(): string[] {
  const found = ['README.md'];
  const walk = (folder: string): void => {
    for (const entry of fs.readdirSync(path.join(ROOT, folder), { withFileTypes: true })) {
      const relative = path.join(folder, entry.name);
      if (entry.isDirectory()) walk(relative);
      else if (entry.name.endsWith('.md')) found.push(relative);
    }
  };
  walk('docs');
  return found;
}

/** Inline links and images `[text](target)` outside code blocks and code spans. */
function linkTargets(markdown: string): string[] {
  const prose = markdown.replace(/^```[\s\S]*?^```/gm, '').replace(/`[^`\n]*`/g, '');
  return [...prose.matchAll(/!?\[[^\]]*\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)].map((match) => match[1] ?? '');
}

function isRelative(target: string): boolean {
  return target !== '' && !/^[a-z][a-z0-9+.-]*:/i.test(target) && !target.startsWith('#') && !target.startsWith('/');
}

describe('links in README.md and docs/', () => {
  const files = documents();

  it('finds the documentation pages', () => {
    expect(files).toEqual(expect.arrayContaining(['README.md', path.join('docs', 'api.md')]));
  });

  it.each(files)('every relative link of %s resolves to a file or folder of the repository', (file) => {
    const markdown = fs.readFileSync(path.join(ROOT, file), 'utf8');
    const broken = linkTargets(markdown)
      .filter(isRelative)
      .map((target) => decodeURIComponent(target.split('#')[0] ?? ''))
      .filter((target) => !fs.existsSync(path.join(ROOT, path.dirname(file), target)));
    expect(broken).toEqual([]);
  });

  it('reads links the way Markdown writes them', () => {
    expect(linkTargets('see [a](docs/a.md#x), `[b](no.md)` and ![c](img.png "title")\n```\n[d](no.md)\n```\n')).toEqual(['docs/a.md#x', 'img.png']);
  });
});
