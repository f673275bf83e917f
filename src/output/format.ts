import stringWidth from 'string-width';
import wrapAnsi from 'wrap-ansi';
import type { OutputFormat } from './format-names.js';
import { escapeFormatCharactersInJson, markdownText, safeText } from './safe-text.js';
import { type TableWidth, tableWidth } from './table-width.js';

// The names live apart so that registering `--format` does not load these renderers.
export { OUTPUT_FORMATS, type OutputFormat } from './format-names.js';

export interface Column<Row> {
  header: string;
  value: (row: Row) => string | number | boolean | null | undefined;
  /** Right-align (numbers). */
  align?: 'left' | 'right';
  /** Tables only: a short code, id or date that reads badly broken; its column is never narrowed. */
  noWrap?: boolean;
  /** Tables only: left out when the table is narrower than this (the other formats always have it). */
  hideBelow?: number;
  /** Tables only: this column's share of the room when columns must be narrowed (default 1). */
  grow?: number;
  /** Markdown only: the value is a URL, written as a link labelled so (an https URL only; else as text). */
  linkLabel?: string;
}

function cell(v: string | number | boolean | null | undefined): string {
  if (v === null || v === undefined) return '';
  return String(v);
}

/** Longest cell shown in a table: a 100 KB name must not flood the terminal. */
const TABLE_CELL_MAX = 200;
/** A spreadsheet cell holds at most 32,767 characters. */
const CSV_CELL_MAX = 32_000;
/** Markdown reports are read by people and pasted into tickets. */
const MD_CELL_MAX = 2_000;
/** Between two columns. */
const GAP = '  ';

export interface TableStyle {
  /** Colour function for a row's cells (e.g. by severity), applied after padding. */
  color?: (row: unknown, text: string, column: number) => string;
  /** Columns the table may take (default: `tableWidth()`); undefined = unlimited, rows never wrap. */
  width?: TableWidth;
  /** A heading line above each run of rows with the same group (rows come sorted by it). */
  group?: (row: unknown) => string;
}

/**
 * A plain-text table for people: an upper-case header line, then one row per record. It fits `width`
 * (the terminal's by default): wide columns are narrowed fairly and their cells wrap onto more lines,
 * nothing is cut. When a row takes more than one line, rows are separated by a blank line.
 */
export function renderTable<Row>(
  rows: readonly Row[],
  allColumns: readonly Column<Row>[],
  style: TableStyle = {},
): string {
  const width = 'width' in style ? style.width : tableWidth();
  const shown = allColumns
    .map((c, index) => ({ c, index }))
    .filter(({ c }) => width === undefined || c.hideBelow === undefined || width >= c.hideBelow);
  const columns = shown.map((s) => s.c);
  const headers = columns.map((c) => c.header.toUpperCase());
  const texts = rows.map((r) =>
    columns.map((c) => safeText(cell(c.value(r)).replace(/\s+/g, ' ').trim(), { maxLength: TABLE_CELL_MAX })),
  );
  const natural = columns.map((_, i) =>
    Math.max(stringWidth(headers[i]!), ...texts.map((t) => stringWidth(t[i]!))),
  );
  const widths =
    width === undefined
      ? natural
      : fitColumns(
          natural,
          columns.map((c, i) => (c.noWrap ? natural[i]! : Math.min(natural[i]!, stringWidth(headers[i]!)))),
          width - GAP.length * (columns.length - 1),
          columns.map((c) => c.grow ?? 1),
        );
  const pad = (s: string, i: number) => {
    const fill = ' '.repeat(Math.max(0, widths[i]! - stringWidth(s)));
    return columns[i]!.align === 'right' ? fill + s : s + fill;
  };
  const lineOf = (cells: string[], row: Row | undefined) =>
    cells
      .map((s, i) => {
        const padded = pad(s, i);
        return style.color && row !== undefined ? style.color(row, padded, shown[i]!.index) : padded;
      })
      .join(GAP)
      .trimEnd();
  const rendered = texts.map((t, ri) => {
    const wrapped = t.map((s, i) => (stringWidth(s) <= widths[i]! ? [s] : wrapCell(s, widths[i]!)));
    const height = Math.max(1, ...wrapped.map((w) => w.length));
    return Array.from({ length: height }, (_, li) =>
      lineOf(
        wrapped.map((w) => w[li] ?? ''),
        rows[ri],
      ),
    );
  });
  const separate = rendered.some((r) => r.length > 1);
  const out: string[] = [lineOf(headers, undefined)];
  let group: string | undefined;
  rendered.forEach((lines, ri) => {
    const heading = style.group ? safeText(style.group(rows[ri])) : undefined;
    const startsGroup = heading !== undefined && heading !== group;
    if (ri > 0 && (separate || startsGroup)) out.push('');
    if (startsGroup) {
      out.push(`${heading}:`);
      group = heading;
    }
    out.push(...lines);
  });
  return `${out.join('\n')}\n`;
}

/** Words wrapped to `width`; a word longer than the column is broken (an id, a URL). */
function wrapCell(text: string, width: number): string[] {
  return wrapAnsi(text, Math.max(1, width), { hard: true, trim: true }).split('\n');
}

/**
 * Column widths that fit `available`: each column gets its minimum, then the room left is shared out
 * like water poured over the columns: narrow ones fill up to their natural width, the wide ones share
 * the rest in proportion to their `grow`. When even the minimums do not fit, the table is wider than
 * asked (never cut).
 */
export function fitColumns(
  natural: readonly number[],
  minimum: readonly number[],
  available: number,
  grow: readonly number[] = natural.map(() => 1),
): number[] {
  const widths = minimum.map((m, i) => Math.min(m, natural[i]!));
  let spare = available - widths.reduce((a, b) => a + b, 0);
  const need = (i: number) => (natural[i]! - widths[i]!) / grow[i]!;
  const wanting = widths.map((_, i) => i).sort((a, b) => need(a) - need(b));
  let weight = grow.reduce((a, b) => a + b, 0);
  for (const i of wanting) {
    const share = Math.floor((spare * grow[i]!) / weight);
    const give = Math.max(0, Math.min(natural[i]! - widths[i]!, share));
    widths[i]! += give;
    spare -= give;
    weight -= grow[i]!;
  }
  // Rounding leaves at most a few columns' worth: give it to the widest columns still short.
  for (const i of [...wanting].reverse()) {
    if (spare <= 0) break;
    const give = Math.min(spare, natural[i]! - widths[i]!);
    widths[i]! += give;
    spare -= give;
  }
  return widths;
}

/**
 * A cell a spreadsheet would run as a formula (OWASP "CSV injection"): one starting with `=`, `@`, a tab
 * or a carriage return, or with `+` / `-` followed by more than a plain number. A lone `-` (the empty
 * placeholder) and `-3` are data, and stay as they are.
 */
export function isFormulaLike(s: string): boolean {
  if (/^[=@\t\r]/.test(s)) return true;
  if (!/^[+-]/.test(s)) return false;
  return s.length > 1 && !/^[+-]\d+(\.\d+)?$/.test(s);
}

function csvField(value: string): string {
  const s = safeText(value, { maxLength: CSV_CELL_MAX });
  // Guard against formula injection when the CSV is opened in a spreadsheet.
  const safe = isFormulaLike(s) ? `'${s}` : s;
  return /[",\n\r]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

/** A CSV column name: one style for every listing, lower snake case (`Max risk` → `max_risk`). */
export function csvColumnName(header: string): string {
  return header
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '');
}

/** The CSV header line (with its newline): streamed outputs write it, then one `csvLine` per row. */
export function csvHeader<Row>(columns: readonly Column<Row>[]): string {
  return `${columns.map((c) => csvField(csvColumnName(c.header))).join(',')}\n`;
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
  return `| ${columns.map((c) => (c.linkLabel ? mdLink(cell(c.value(row)), c.linkLabel) : mdCell(cell(c.value(row))))).join(' | ')} |\n`;
}

/**
 * `[label](https://…)`. The URL is parsed and re-serialised (which percent-encodes spaces and angle
 * brackets); the characters that would end the link or the table cell are encoded too. Anything but an
 * https URL is written as plain text.
 */
function mdLink(value: string, label: string): string {
  if (!value) return '';
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return mdCell(value);
  }
  if (url.protocol !== 'https:') return mdCell(value);
  const href = url.href.replace(/[()[\]|\\`]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `[${markdownText(label)}](${href})`;
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
