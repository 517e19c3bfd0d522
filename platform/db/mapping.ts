/** Row ↔ domain helpers: MySQL and SQLite return dates, booleans and JSON differently. */

export function toDate(value: unknown): Date | null {
  if (value === null || value === undefined) return null;
  if (value instanceof Date) return value;
  if (typeof value === 'number') return new Date(value);
  if (typeof value === 'string') {
    // MySQL DATETIME text without zone is UTC by our convention.
    const text = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}/.test(value) ? `${value.replace(' ', 'T')}Z` : value;
    const date = new Date(text);
    if (Number.isNaN(date.getTime())) throw new Error(`Not a date: ${value}`);
    return date;
  }
  throw new Error(`Not a date: ${String(value)}`);
}

export function toRequiredDate(value: unknown): Date {
  const date = toDate(value);
  if (!date) throw new Error('Expected a date, got null');
  return date;
}

export function toBool(value: unknown): boolean {
  return value === true || value === 1 || value === '1';
}

export function fromJson<T>(value: unknown): T {
  if (value === null || value === undefined) return value as T;
  if (typeof value === 'string') return JSON.parse(value) as T;
  if (Buffer.isBuffer(value)) return JSON.parse(value.toString('utf8')) as T;
  return value as T;
}

export function toJson(value: unknown): string {
  return JSON.stringify(value);
}

/** Inserted ids: mysql2 returns [insertId], better-sqlite3 returns [lastInsertRowid]. */
export function insertedId(result: unknown): number {
  const first = Array.isArray(result) ? (result[0] as unknown) : result;
  const id = typeof first === 'object' && first !== null && 'id' in first ? (first as { id: unknown }).id : first;
  return Number(id);
}
