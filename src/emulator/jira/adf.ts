/**
 * The emulator's check of an Atlassian Document Format body, as strict as Jira Cloud REST v3 on the
 * fields that take ADF (issue `description`, comment `body`): Jira refuses a plain string there with
 * "Operation value must be an Atlassian Document" (createIssue: "`description`, `environment`, and any
 * `textarea` type custom fields (multi-line text fields) take Atlassian Document Format content",
 * OpenAPI operation createIssue).
 *
 * Rules from the ADF structure reference
 * (https://developer.atlassian.com/cloud/jira/platform/apis/document/structure/ and its node pages):
 * - root: `{ version: 1, type: "doc", content: [block nodes] }`;
 * - top-level block nodes: paragraph, heading (attrs.level 1–6), bulletList / orderedList (listItem
 *   only), codeBlock (text nodes without marks), table (tableRow → tableHeader / tableCell), rule,
 *   blockquote, panel;
 * - inline nodes: text (non-empty `text`), hardBreak, mention, emoji, inlineCard, date, status;
 * - marks on text: code, em, link (attrs.href), strike, strong, subsup, textColor, underline; `code`
 *   combines only with link.
 * The test suite also validates every journaled body against the published ADF JSON Schema
 * (test/conformance/jira-openapi/adf-full.schema.json).
 */

type Node = Record<string, unknown>;

const INLINE = new Set(['text', 'hardBreak', 'mention', 'emoji', 'inlineCard', 'date', 'status']);
const TOP_BLOCKS = new Set([
  'paragraph',
  'heading',
  'bulletList',
  'orderedList',
  'codeBlock',
  'table',
  'rule',
  'blockquote',
  'panel',
  'mediaSingle',
  'expand',
]);
const MARKS = new Set(['code', 'em', 'link', 'strike', 'strong', 'subsup', 'textColor', 'underline']);

function isObject(v: unknown): v is Node {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The problems with a value sent where Jira expects an ADF document; empty when it is valid. */
export function adfProblems(value: unknown): string[] {
  const problems: string[] = [];
  if (!isObject(value))
    return ['Operation value must be an Atlassian Document (see the Atlassian Document Format)'];
  if (value.version !== 1) problems.push('doc: version must be 1');
  if (value.type !== 'doc') problems.push('doc: type must be "doc"');
  if (!Array.isArray(value.content)) {
    problems.push('doc: content must be an array of block nodes');
    return problems;
  }
  value.content.forEach((n, i) => {
    checkBlock(n, `content[${i}]`, TOP_BLOCKS, problems);
  });
  return problems;
}

function children(node: Node, at: string, problems: string[], required: boolean): unknown[] {
  if (node.content === undefined) {
    if (required) problems.push(`${at}: ${String(node.type)} needs content`);
    return [];
  }
  if (!Array.isArray(node.content)) {
    problems.push(`${at}: content must be an array`);
    return [];
  }
  return node.content;
}

function checkBlock(n: unknown, at: string, allowed: Set<string>, problems: string[]): void {
  if (!isObject(n) || typeof n.type !== 'string') {
    problems.push(`${at}: not a node`);
    return;
  }
  if (!allowed.has(n.type)) {
    problems.push(`${at}: ${n.type} is not allowed here`);
    return;
  }
  const kids = (required: boolean) => children(n, at, problems, required);
  switch (n.type) {
    case 'paragraph':
      each(kids(false), (c, i) => checkInline(c, `${at}.content[${i}]`, problems));
      return;
    case 'heading': {
      const level = isObject(n.attrs) ? n.attrs.level : undefined;
      if (typeof level !== 'number' || !Number.isInteger(level) || level < 1 || level > 6)
        problems.push(`${at}: heading attrs.level must be 1..6`);
      each(kids(false), (c, i) => checkInline(c, `${at}.content[${i}]`, problems));
      return;
    }
    case 'bulletList':
    case 'orderedList': {
      const items = kids(true);
      if (items.length === 0) problems.push(`${at}: ${n.type} needs at least one listItem`);
      each(items, (c, i) => checkBlock(c, `${at}.content[${i}]`, new Set(['listItem']), problems));
      return;
    }
    case 'listItem':
      each(kids(true), (c, i) =>
        checkBlock(
          c,
          `${at}.content[${i}]`,
          new Set(['paragraph', 'bulletList', 'orderedList', 'codeBlock']),
          problems,
        ),
      );
      return;
    case 'codeBlock':
      each(kids(false), (c, i) => {
        checkInline(c, `${at}.content[${i}]`, problems);
        if (isObject(c) && (c.type !== 'text' || (Array.isArray(c.marks) && c.marks.length > 0)))
          problems.push(`${at}.content[${i}]: codeBlock holds only text without marks`);
      });
      return;
    case 'table': {
      const rows = kids(true);
      if (rows.length === 0) problems.push(`${at}: table needs at least one tableRow`);
      each(rows, (c, i) => checkBlock(c, `${at}.content[${i}]`, new Set(['tableRow']), problems));
      return;
    }
    case 'tableRow':
      each(kids(true), (c, i) =>
        checkBlock(c, `${at}.content[${i}]`, new Set(['tableHeader', 'tableCell']), problems),
      );
      return;
    case 'tableHeader':
    case 'tableCell':
    case 'blockquote':
    case 'panel':
    case 'expand': {
      const inner = kids(true);
      if (inner.length === 0) problems.push(`${at}: ${n.type} needs at least one block`);
      each(inner, (c, i) =>
        checkBlock(
          c,
          `${at}.content[${i}]`,
          new Set(['paragraph', 'heading', 'bulletList', 'orderedList', 'codeBlock', 'rule']),
          problems,
        ),
      );
      return;
    }
    default:
      return;
  }
}

function checkInline(n: unknown, at: string, problems: string[]): void {
  if (!isObject(n) || typeof n.type !== 'string' || !INLINE.has(n.type)) {
    problems.push(`${at}: not an inline node`);
    return;
  }
  if (n.type !== 'text') return;
  if (typeof n.text !== 'string' || n.text.length === 0)
    problems.push(`${at}: text must be a non-empty string`);
  if (n.marks === undefined) return;
  if (!Array.isArray(n.marks)) {
    problems.push(`${at}: marks must be an array`);
    return;
  }
  const types = n.marks.map((m) => (isObject(m) ? m.type : undefined));
  n.marks.forEach((m, i) => {
    if (!isObject(m) || typeof m.type !== 'string' || !MARKS.has(m.type)) {
      problems.push(`${at}.marks[${i}]: unknown mark`);
      return;
    }
    if (m.type === 'link' && !(isObject(m.attrs) && typeof m.attrs.href === 'string'))
      problems.push(`${at}.marks[${i}]: link needs attrs.href`);
  });
  if (types.includes('code') && types.some((t) => t !== 'code' && t !== 'link'))
    problems.push(`${at}: the code mark combines only with link`);
}

/** The characters of text an ADF document holds (what Jira's field length limits count, roughly). */
export function adfTextLength(value: unknown): number {
  if (Array.isArray(value)) return value.reduce((sum: number, v) => sum + adfTextLength(v), 0);
  if (!isObject(value)) return 0;
  return (typeof value.text === 'string' ? value.text.length : 0) + adfTextLength(value.content);
}

function each(items: unknown[], check: (child: unknown, index: number) => void): void {
  for (let i = 0; i < items.length; i++) check(items[i], i);
}
