import type { TicketBlock, TicketDocument } from '../../sink.js';

/**
 * `TicketDocument` → Atlassian Document Format (https://developer.atlassian.com/cloud/jira/platform/apis/document/structure/).
 * Text from APIs (app names, descriptions) is data: it only ever becomes the `text` of a text node,
 * never markup, so `<img …>`, `[~accountid:…]`, `{"type":"mention"}` or wiki markup stay literal
 * characters. Mentions and links exist in ADF only as `mention` nodes and `link` marks; the only
 * link marks rendered are the document's own `link` blocks, and only for http(s) URLs. URLs inside
 * text are defanged for the mail clients that show Jira's notifications.
 */

export type AdfNode = Record<string, unknown>;
export interface AdfDocument {
  version: 1;
  type: 'doc';
  content: AdfNode[];
}

/**
 * Jira's multi-line text fields hold at most 32,767 characters ("Jira Cloud limits"); the document
 * stops a little short so the truncation notice fits.
 */
export const ADF_TEXT_BUDGET = 32_000;
/** One value (a fact, a bullet) longer than this is cut: a ticket is read by people. */
const MAX_PIECE = 4_000;
const TRUNCATED = '… (truncated: the full finding is in grantscope)';

/** Control characters other than tab and newline are dropped (they break Jira's renderer and e-mails). */
// biome-ignore lint/suspicious/noControlCharactersInRegex: stripping them is the point
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2066-\u2069]/g;

export function cleanText(text: string, max = MAX_PIECE): string {
  const clean = text.replace(/\r\n?/g, '\n').replace(CONTROL, '');
  return clean.length > max ? `${clean.slice(0, max - 1)}…` : clean;
}

/**
 * `scheme://` in text becomes `scheme[:]//` (the usual "defanged" form): ADF text is never a link, but
 * Jira's e-mail notifications go through mail clients that turn anything URL-shaped into one.
 */
export function defang(text: string): string {
  return text.replace(/\b([a-z][a-z0-9+.-]*):\/\//gi, '$1[:]//');
}

/** Text with newlines as hardBreak nodes; empty text yields no node (ADF refuses empty text). */
function inline(text: string, marks?: AdfNode[]): AdfNode[] {
  const out: AdfNode[] = [];
  const shown = marks ? cleanText(text) : defang(cleanText(text));
  shown.split('\n').forEach((line, i) => {
    if (i > 0) out.push({ type: 'hardBreak' });
    if (line !== '') out.push(marks ? { type: 'text', text: line, marks } : { type: 'text', text: line });
  });
  return out;
}

const paragraph = (text: string, marks?: AdfNode[]): AdfNode => ({
  type: 'paragraph',
  content: inline(text, marks),
});

function safeHref(url: string): string | null {
  try {
    const u = new URL(url);
    return u.protocol === 'https:' || u.protocol === 'http:' ? u.href : null;
  } catch {
    return null;
  }
}

function renderBlock(block: TicketBlock): AdfNode | null {
  switch (block.kind) {
    case 'paragraph':
      return paragraph(block.text);
    case 'heading':
      return {
        type: 'heading',
        attrs: { level: 3 },
        content: inline(cleanText(block.text, 255).replace(/\n/g, ' ')),
      };
    case 'bullets':
      if (block.items.length === 0) return null;
      return {
        type: 'bulletList',
        content: block.items.map((item) => ({ type: 'listItem', content: [paragraph(item)] })),
      };
    case 'facts':
      if (block.rows.length === 0) return null;
      return {
        type: 'table',
        attrs: { isNumberColumnEnabled: false, layout: 'default' },
        content: block.rows.map((row) => ({
          type: 'tableRow',
          content: [
            { type: 'tableHeader', content: [paragraph(row.label)] },
            { type: 'tableCell', content: [paragraph(row.value)] },
          ],
        })),
      };
    case 'link': {
      const href = safeHref(block.url);
      // A URL that is not http(s) (javascript:, data:) is shown, never linked.
      if (!href) return paragraph(`${block.text} (${block.url})`);
      return paragraph(block.text || href, [{ type: 'link', attrs: { href } }]);
    }
    case 'code': {
      const text = cleanText(block.text);
      return { type: 'codeBlock', content: text === '' ? [] : [{ type: 'text', text }] };
    }
  }
}

function textLength(node: unknown): number {
  if (Array.isArray(node)) return node.reduce((n: number, c) => n + textLength(c), 0);
  if (!node || typeof node !== 'object') return 0;
  const n = node as AdfNode;
  return (typeof n.text === 'string' ? n.text.length : 0) + textLength(n.content);
}

/** The document as ADF, cut to Jira's field limit at a block boundary with a notice saying so. */
export function toAdf(doc: TicketDocument, budget = ADF_TEXT_BUDGET): AdfDocument {
  const content: AdfNode[] = [];
  let used = 0;
  for (const block of doc.blocks) {
    const node = renderBlock(block);
    if (!node) continue;
    const size = textLength(node);
    if (used + size > budget) {
      content.push(paragraph(TRUNCATED));
      break;
    }
    used += size;
    content.push(node);
  }
  return { version: 1, type: 'doc', content };
}

/** A one-line summary within Jira's 255 characters. */
export function toSummary(title: string): string {
  const line = defang(cleanText(title, 10_000)).replace(/\s+/g, ' ').trim() || 'grantscope finding';
  return line.length > 255 ? `${line.slice(0, 254)}…` : line;
}

/** Jira labels cannot contain spaces and hold at most 255 characters. */
export function toLabel(label: string): string | null {
  const clean = cleanText(label, 255)
    .replace(/\s+/g, '-')
    .replace(/^-+|-+$/g, '');
  return clean === '' ? null : clean;
}
