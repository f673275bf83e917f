import { escapeFormatCharactersInJson, markdownText, safeText } from './safe-text.js';

/** Output formats every listing command supports. */
export const OUTPUT_FORMATS = ['table', 'json', 'csv', 'md'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

export interface Column<Row> {
  header: string;
  value: (row: Row) => string | number | boolean | null | undefined;
  /** Right-align (numbers). */
  align?: 'left' | 'right';
  /** Truncate to this width in tables (full value in csv/md/json). */
  maxWidth?: number;
}

function cell(v: string | number | boolean | null | undefined): string {
  if (v === null || v === undefined) return '';
  return String(v);
}

/** Longest cell shown in a table when its column sets no width: a 100 KB name must not flood the terminal. */
const TABLE_CELL_MAX = 200;
/** A spreadsheet cell holds at most 32,767 characters. */
const CSV_CELL_MAX = 32_000;
/** Markdown reports are read by people and pasted into tickets. */
const MD_CELL_MAX = 2_000;

function truncate(s: string, width: number | undefined): string {
  if (!width || s.length <= width) return s;
  return `${s.slice(0, Math.max(1, width - 1))}…`;
}

export interface TableStyle {
  /** Colour function for a row's cells (e.g. by severity), applied after padding. */
  color?: (row: unknown, text: string, column: number) => string;
}

/** A plain-text table for people: header, separator, aligned columns. */
export function renderTable<Row>(
  rows: readonly Row[],
  columns: readonly Column<Row>[],
  style: TableStyle = {},
): string {
  const texts = rows.map((r) =>
    columns.map((c) =>
      truncate(safeText(cell(c.value(r)).replace(/\s+/g, ' '), { maxLength: TABLE_CELL_MAX }), c.maxWidth),
    ),
  );
  const widths = columns.map((c, i) => Math.max(c.header.length, ...texts.map((t) => t[i]!.length)));
  const pad = (s: string, i: number) =>
    columns[i]!.align === 'right' ? s.padStart(widths[i]!) : s.padEnd(widths[i]!);
  const lines = [
    columns
      .map((c, i) => pad(c.header.toUpperCase(), i))
      .join('  ')
      .trimEnd(),
    ...texts.map((t, ri) =>
      t
        .map((s, i) => {
          const padded = pad(s, i);
          return style.color ? style.color(rows[ri], padded, i) : padded;
        })
        .join('  ')
        .trimEnd(),
    ),
  ];
  return `${lines.join('\n')}\n`;
}

function csvField(value: string): string {
  const s = safeText(value, { maxLength: CSV_CELL_MAX });
  // Guard against formula injection when the CSV is opened in a spreadsheet.
  const safe = /^[=+\-@\t\r]/.test(s) ? `'${s}` : s;
  return /[",\n\r]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

/** The CSV header line (with its newline): streamed outputs write it, then one `csvLine` per row. */
export function csvHeader<Row>(columns: readonly Column<Row>[]): string {
  return `${columns.map((c) => csvField(c.header)).join(',')}\n`;
}

export function csvLine<Row>(row: Row, columns: readonly Column<Row>[]): string {
  return `${columns.map((c) => csvField(cell(c.value(row)))).join(',')}\n`;
}

export function renderCsv<Row>(rows: readonly Row[], columns: readonly Column<Row>[]): string {
  return csvHeader(columns) + rows.map((r) => csvLine(r, columns)).join('');
}

function mdCell(s: string): string {
  return markdownText(safeText(s, { maxLength: MD_CELL_MAX })).replace(/\r?\n/g, '<br>');
}

/** The Markdown table's header and separator lines: streamed outputs write them, then `markdownLine`s. */
export function markdownHeader<Row>(columns: readonly Column<Row>[]): string {
  return (
    `| ${columns.map((c) => mdCell(c.header)).join(' | ')} |\n` +
    `| ${columns.map((c) => (c.align === 'right' ? '---:' : '---')).join(' | ')} |\n`
  );
}

export function markdownLine<Row>(row: Row, columns: readonly Column<Row>[]): string {
  return `| ${columns.map((c) => mdCell(cell(c.value(row)))).join(' | ')} |\n`;
}

export function renderMarkdown<Row>(rows: readonly Row[], columns: readonly Column<Row>[]): string {
  return markdownHeader(columns) + rows.map((r) => markdownLine(r, columns)).join('');
}

/** Render rows as table, csv or md; json callers pass their own structured value. */
export function renderRows<Row>(
  format: Exclude<OutputFormat, 'json'>,
  rows: readonly Row[],
  columns: readonly Column<Row>[],
  style?: TableStyle,
): string {
  if (format === 'csv') return renderCsv(rows, columns);
  if (format === 'md') return renderMarkdown(rows, columns);
  return renderTable(rows, columns, style);
}

export function renderJson(value: unknown): string {
  return `${escapeFormatCharactersInJson(JSON.stringify(value, null, 2))}\n`;
}

const ANSI: Record<string, string> = {
  red: '31',
  yellow: '33',
  magenta: '35',
  cyan: '36',
  dim: '2',
  bold: '1',
  green: '32',
};
export function paint(enabled: boolean, color: keyof typeof ANSI | string, text: string): string {
  const code = ANSI[color];
  return enabled && code ? `\x1b[${code}m${text}\x1b[0m` : text;
}
