/**
 * Something to say, as a catalogue key and its arguments, never as a sentence: what workflows record
 * on timelines and deadlines, and what refusals and domain errors carry, so that each reader gets it in
 * their own language (the catalogue is `platform/console/messages.ts`). Pure and workflow-safe.
 */
export type WordValue = string | number | null;

export interface Words {
  readonly key: string;
  readonly params?: Readonly<Record<string, WordValue>>;
}

export function words(key: string, params?: Record<string, WordValue>): Words {
  return params === undefined ? { key } : { key, params };
}

export function isWords(value: unknown): value is Words {
  if (typeof value !== 'object' || value === null) return false;
  const { key, params } = value as { key?: unknown; params?: unknown };
  return typeof key === 'string' && key.length > 0 && (params === undefined || (typeof params === 'object' && params !== null && !Array.isArray(params)));
}

/** Words as one line for logs and for a stored column that must hold text (`key {"a":1}`). */
export function wordsAsText(said: Words): string {
  return said.params && Object.keys(said.params).length > 0 ? `${said.key} ${JSON.stringify(said.params)}` : said.key;
}

/** Words read back from a stored JSON column; null when the row has none (written before words existed) or is damaged. */
export function storedWords(value: unknown): Words | null {
  let parsed = value;
  if (typeof value === 'string') {
    try {
      parsed = JSON.parse(value);
    } catch {
      return null;
    }
  }
  return isWords(parsed) ? parsed : null;
}
