import { type Finding, SEVERITY_ORDER, type Severity } from '../../findings/finding.js';
import { shortFingerprint } from '../../findings/fingerprint.js';
import { manageLink } from '../../findings/manage-link.js';
import { compareFindings } from '../../rules/evaluate.js';
import { TOOL_VERSION } from '../../version.js';
import { sortExternally } from '../external-sort.js';
import {
  type Column,
  csvHeader,
  csvLine,
  markdownHeader,
  markdownLine,
  paint,
  renderTable,
} from '../format.js';
import type { FindingsFormat } from '../format-names.js';
import { escapeFormatCharactersInJson } from '../safe-text.js';
import { ocsfChunks } from './ocsf.js';
import { type SarifAnchor, sarifChunks } from './sarif.js';

export { FINDINGS_FORMATS, type FindingsFormat } from '../format-names.js';

/** Rows a table shows at most: beyond that it is a summary of the most severe, and a hint. */
export const TABLE_MAX_ROWS = 200;

const SEVERITY_COLOR: Record<Severity, string> = {
  critical: 'magenta',
  high: 'red',
  medium: 'yellow',
  low: 'cyan',
  info: 'dim',
};

const title = (f: Finding) => (f.excepted ? `[excepted until ${f.exception?.expires}] ${f.title}` : f.title);

/**
 * The table: the title (with the permissions, the main evidence) gets the room; platform, identity and
 * kind are in the title too, so they are the first columns left out of a narrow terminal.
 */
const COLUMNS: Column<Finding>[] = [
  { header: 'Severity', value: (f) => f.severity, noWrap: true },
  { header: 'Fingerprint', value: (f) => shortFingerprint(f.fingerprint), noWrap: true },
  { header: 'Rule', value: (f) => f.rule, noWrap: true },
  { header: 'Platform', value: (f) => f.platform, hideBelow: 140 },
  { header: 'Kind', value: (f) => f.identity.kind, hideBelow: 240 },
  { header: 'Identity', value: (f) => f.identity.name ?? f.identity.id, hideBelow: 140 },
  { header: 'Title', value: title, grow: 3 },
  { header: 'First seen', value: (f) => f.firstSeen.slice(0, 10), noWrap: true, hideBelow: 100 },
];

/** Markdown is pasted into tickets: what to do and where, beside what is wrong. */
const MD_COLUMNS: Column<Finding>[] = [
  { header: 'Severity', value: (f) => f.severity },
  { header: 'Fingerprint', value: (f) => shortFingerprint(f.fingerprint) },
  { header: 'Rule', value: (f) => f.rule },
  { header: 'Platform', value: (f) => f.platform },
  { header: 'Identity', value: (f) => f.identity.name ?? f.identity.id },
  { header: 'Title', value: title },
  { header: 'Remediation', value: (f) => f.remediation },
  { header: 'Manage', value: (f) => manageLink(f), linkLabel: 'open' },
  { header: 'First seen', value: (f) => f.firstSeen.slice(0, 10) },
];

const CSV_COLUMNS: Column<Finding>[] = [
  { header: 'fingerprint', value: (f) => f.fingerprint },
  { header: 'severity', value: (f) => f.severity },
  { header: 'rule', value: (f) => f.rule },
  { header: 'platform', value: (f) => f.platform },
  { header: 'tenant', value: (f) => f.tenant },
  { header: 'identity_kind', value: (f) => f.identity.kind },
  { header: 'identity_id', value: (f) => f.identity.id },
  { header: 'identity_name', value: (f) => f.identity.name },
  { header: 'subject', value: (f) => f.subject },
  { header: 'title', value: (f) => f.title },
  { header: 'remediation', value: (f) => f.remediation },
  { header: 'owasp_nhi', value: (f) => f.frameworks.owaspNhi.join(' ') },
  { header: 'nist_csf', value: (f) => f.frameworks.nistCsf.join(' ') },
  { header: 'first_seen', value: (f) => f.firstSeen },
  { header: 'last_seen', value: (f) => f.lastSeen },
  { header: 'evidence', value: (f) => JSON.stringify(f.evidence) },
  { header: 'owner', value: (f) => ownerText(f) },
  {
    header: 'approval',
    value: (f) =>
      f.approval
        ? `${f.approval.approver} ${f.approval.date}${f.approval.reference ? ` ${f.approval.reference}` : ''}`
        : null,
  },
  { header: 'excepted', value: (f) => (f.excepted ? 'true' : 'false') },
  {
    header: 'exception',
    value: (f) =>
      f.exception
        ? `${f.exception.status}: ${f.exception.approver} until ${f.exception.expires}: ${f.exception.reason}`
        : null,
  },
];

/** `Bob Martins (Platform); frank (left)`: registered owners first, then the platform's. */
export function ownerText(f: Pick<Finding, 'owner'>): string | null {
  if (!f.owner) return null;
  const left = (active: boolean | null) => (active === false ? ' (left)' : '');
  const parts = [
    ...f.owner.registered.map((o) => `${o.person}${o.team ? ` (${o.team})` : ''}${left(o.active)}`),
    ...f.owner.inPlatform.map((o) => `${o.name ?? o.id}${left(o.active)}`),
  ];
  return parts.length > 0 ? parts.join('; ') : null;
}

export interface FindingsOutputOptions {
  /** Show findings accepted by an exception in table and md output (JSON, JSONL and CSV always have them, marked). */
  includeExcepted?: boolean;
  /** SARIF: where results are shown in the repository (default: line 1 of grantscope.yaml). */
  sarifAnchor?: (f: Finding) => SarifAnchor;
  /** SARIF: facts about the run (scan id and status). */
  runProperties?: Record<string, unknown>;
  /**
   * Table and md: a first line saying which scans were read, when more than one was (a round of one
   * scan per tenant). JSON formats carry it per finding (`scanId`).
   */
  coverage?: string;
}

const DEFAULT_ANCHOR: SarifAnchor = { uri: 'grantscope.yaml', startLine: 1, endColumn: 2 };

/** Drops excepted findings (counting them) unless asked to keep them. */
async function* withoutExcepted(
  findings: AsyncIterable<Finding>,
  hidden: { count: number },
): AsyncGenerator<Finding> {
  for await (const f of findings) {
    if (f.excepted) hidden.count += 1;
    else yield f;
  }
}

function hiddenNote(hidden: { count: number }): string {
  return hidden.count > 0
    ? `${hidden.count} finding${hidden.count === 1 ? '' : 's'} accepted by an exception not shown (--include-excepted shows them).\n`
    : '';
}

export type SeverityCounts = Record<Severity, number>;

export function emptyCounts(): SeverityCounts {
  return { critical: 0, high: 0, medium: 0, low: 0, info: 0 };
}

export function severityCounts(findings: Iterable<Finding>): SeverityCounts {
  const out = emptyCounts();
  for (const f of findings) out[f.severity] += 1;
  return out;
}

export function summariseSeverities(counts: SeverityCounts, color = false): string {
  return (Object.keys(counts) as Severity[])
    .sort((a, b) => SEVERITY_ORDER[b] - SEVERITY_ORDER[a])
    .filter((s) => counts[s] > 0)
    .map((s) => paint(color, SEVERITY_COLOR[s], `${counts[s]} ${s}`))
    .join(', ');
}

/** For people: most severe first, then grouped by platform and identity. */
export function compareForPeople(a: Finding, b: Finding): number {
  const name = (f: Finding) => (f.identity.name ?? f.identity.id).toLowerCase();
  return (
    SEVERITY_ORDER[b.severity] - SEVERITY_ORDER[a.severity] ||
    a.platform.localeCompare(b.platform) ||
    name(a).localeCompare(name(b)) ||
    a.rule.localeCompare(b.rule) ||
    a.fingerprint.localeCompare(b.fingerprint)
  );
}

/** One finding as an element of a pretty-printed JSON array nested `depth` levels deep. */
export function jsonElement(f: Finding, depth: number): string {
  // Wrapped in `depth` arrays, JSON.stringify indents the finding itself: its text sits between the
  // wrappers' `[\n` lines (2 + 2i characters each) and their `\n]` lines, with no pass over it to indent
  // each line (25 MiB of findings in a large scan's report).
  let wrapped: unknown = f;
  for (let i = 0; i < depth; i++) wrapped = [wrapped];
  const text = JSON.stringify(wrapped, null, 2);
  const wrapper = depth * (depth + 1);
  return escapeFormatCharactersInJson(text.slice(wrapper, text.length - wrapper));
}

/**
 * The findings as a pretty-printed JSON array nested `depth` levels deep (0: the whole document), in
 * `compareFindings` order, one element at a time: the same text `JSON.stringify(array, null, 2)` gives.
 * Ends without a newline after `]`.
 */
export async function* jsonArrayChunks(
  findings: AsyncIterable<Finding>,
  depth: number,
): AsyncGenerator<string> {
  let first = true;
  // Elements are handed on about JSON_CHUNK characters at a time, not one by one: each chunk is a
  // step through every generator between here and the file (writes gather 64 KiB anyway).
  let pending = '';
  for await (const f of sortExternally(findings, compareFindings)) {
    pending += `${first ? '[\n' : ',\n'}${jsonElement(f, depth + 1)}`;
    first = false;
    if (pending.length >= JSON_CHUNK) {
      yield pending;
      pending = '';
    }
  }
  yield `${pending}${first ? '[]' : `\n${'  '.repeat(depth)}]`}`;
}

/** About how many characters of a JSON array `jsonArrayChunks` hands on at a time. */
const JSON_CHUNK = 32 * 1024;

/** Tallies severities of the findings that pass through. */
async function* counting(findings: AsyncIterable<Finding>, counts: SeverityCounts): AsyncGenerator<Finding> {
  for await (const f of findings) {
    counts[f.severity] += 1;
    yield f;
  }
}

/** The most severe `limit` findings (people's order) of a stream, holding no more than `limit`. */
async function topFindings(findings: AsyncIterable<Finding>, limit: number): Promise<Finding[]> {
  const top: Finding[] = [];
  for await (const f of findings) {
    if (top.length === limit && compareForPeople(f, top[limit - 1]!) >= 0) continue;
    let lo = 0;
    let hi = top.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (compareForPeople(top[mid]!, f) <= 0) lo = mid + 1;
      else hi = mid;
    }
    top.splice(lo, 0, f);
    if (top.length > limit) top.pop();
  }
  return top;
}

/**
 * `grantscope findings` output, streamed chunk by chunk (outputs are never built whole). json = the
 * published array contract (schemas in src/findings); jsonl = one such element per line.
 */
export async function* findingsChunks(
  all: AsyncIterable<Finding>,
  format: FindingsFormat,
  color = false,
  options: FindingsOutputOptions = {},
): AsyncGenerator<string> {
  const hidden = { count: 0 };
  const people = format === 'table' || format === 'md';
  const findings = people && !options.includeExcepted ? withoutExcepted(all, hidden) : all;
  if (format === 'json') {
    yield* jsonArrayChunks(findings, 0);
    yield '\n';
    return;
  }
  if (format === 'sarif') {
    yield* sarifChunks(findings, {
      anchor: options.sarifAnchor ?? (() => DEFAULT_ANCHOR),
      toolVersion: TOOL_VERSION,
      ...(options.runProperties ? { runProperties: options.runProperties } : {}),
    });
    return;
  }
  if (format === 'ocsf') {
    yield* ocsfChunks(findings, { toolVersion: TOOL_VERSION });
    return;
  }
  if (format === 'jsonl') {
    for await (const f of sortExternally(findings, compareFindings))
      yield `${escapeFormatCharactersInJson(JSON.stringify(f))}\n`;
    return;
  }
  if (people && options.coverage)
    yield `${format === 'md' ? '_Scans read_: ' : 'Scans read: '}${options.coverage}\n\n`;
  if (format === 'csv' || format === 'md') {
    yield format === 'csv' ? csvHeader(CSV_COLUMNS) : markdownHeader(MD_COLUMNS);
    for await (const f of sortExternally(findings, compareForPeople))
      yield format === 'csv' ? csvLine(f, CSV_COLUMNS) : markdownLine(f, MD_COLUMNS);
    if (format === 'md' && hidden.count > 0) yield `\n${hiddenNote(hidden)}`;
    return;
  }
  const counts = emptyCounts();
  const top = await topFindings(counting(findings, counts), TABLE_MAX_ROWS);
  const total = Object.values(counts).reduce((a, b) => a + b, 0);
  if (total === 0) {
    yield `No findings.\n${hiddenNote(hidden)}`;
    return;
  }
  yield renderTable(top, COLUMNS, {
    color: (row, text, i) => (i === 0 ? paint(color, SEVERITY_COLOR[(row as Finding).severity], text) : text),
  });
  if (total > top.length)
    yield `… ${total - top.length} more not shown (the ${top.length} most severe are). All of them: --format csv, md, json or jsonl, with -o <file>.\n`;
  yield `\n${total} finding${total === 1 ? '' : 's'}: ${summariseSeverities(counts, color)}\n${hiddenNote(hidden)}`;
}

/** A stream over findings already in memory (small outputs, tests, the demo). */
export async function* streamOf<T>(items: Iterable<T>): AsyncGenerator<T> {
  yield* items;
}

/** All chunks joined (small outputs). */
export async function collectText(chunks: AsyncIterable<string>): Promise<string> {
  let out = '';
  for await (const c of chunks) out += c;
  return out;
}

/** `findingsChunks` over an array, as one string. */
export function renderFindings(
  all: readonly Finding[],
  format: FindingsFormat,
  color = false,
): Promise<string> {
  return collectText(findingsChunks(streamOf(all), format, color));
}
