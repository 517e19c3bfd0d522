/** A list as a file: CSV through csv-stringify, XLSX through exceljs. One header row, then the rows. */
import { stringify } from 'csv-stringify/sync';
import ExcelJS from 'exceljs';

export type Cell = string | number | null;

export interface Table {
  /** Sheet name and file name stem, e.g. `projects`. */
  name: string;
  headers: string[];
  rows: Cell[][];
}

export const EXPORT_FORMATS = ['csv', 'xlsx'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export const CONTENT_TYPES: Record<ExportFormat, string> = {
  csv: 'text/csv; charset=utf-8',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
};

/**
 * A cell that a spreadsheet would run as a formula (`=…`, `+…`, `-…`, `@…`) gets a leading quote:
 * the data come from customers and dealers (CSV injection).
 */
export function safeCell(value: Cell): Cell {
  return typeof value === 'string' && /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
}

export async function render(table: Table, format: ExportFormat): Promise<Buffer> {
  const rows = table.rows.map((row) => row.map(safeCell));
  // A byte-order mark, so spreadsheet programs read the UTF-8 (Chinese names) as UTF-8.
  if (format === 'csv') return Buffer.from(`\ufeff${stringify([table.headers, ...rows])}`, 'utf8');
  const workbook = new ExcelJS.Workbook();
  const sheet = workbook.addWorksheet(table.name);
  sheet.addRow(table.headers).font = { bold: true };
  for (const row of rows) sheet.addRow(row);
  sheet.views = [{ state: 'frozen', ySplit: 1 }];
  return Buffer.from(await workbook.xlsx.writeBuffer());
}
