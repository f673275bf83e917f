/**
 * Text from APIs (display names, descriptions, publisher names) is chosen by whoever registered the
 * app, so every output treats it as hostile: control characters (an ANSI escape must not repaint the
 * terminal), bidirectional overrides and invisible format characters (which can make a name read as
 * another), invalid UTF-16 and very long strings are made visible, replaced or cut before printing.
 */

/** C0 and C1 controls except tab and newline, which callers fold into spaces or line breaks. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point.
const CONTROL = /[\u0000-\u0008\u000B-\u001F\u007F-\u009F]/g;
/** Bidirectional embeddings, overrides and isolates, and zero-width / invisible format characters. */
const FORMAT = /[\u061C\u200B-\u200F\u202A-\u202E\u2060-\u2069\uFEFF]/g;

/** A surrogate without its partner: not text, and an encoder would turn it into garbage. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

const hex = (c: string, width: number) => c.charCodeAt(0).toString(16).padStart(width, '0');

export interface SafeTextOptions {
  /** Longest text kept, in characters; the rest is replaced by a count. */
  maxLength?: number;
}

/** `text` with hostile characters shown as escapes (`\x1b`, `\u202e`), lone surrogates replaced, capped. */
export function safeText(text: string, options: SafeTextOptions = {}): string {
  let out = text
    .replace(LONE_SURROGATE, '\uFFFD')
    .replace(CONTROL, (c) => `\\x${hex(c, 2)}`)
    .replace(FORMAT, (c) => `\\u${hex(c, 4)}`);
  const max = options.maxLength;
  if (max !== undefined && out.length > max) {
    out = `${out.slice(0, max)}…[+${out.length - max} chars]`;
  }
  return out;
}

/**
 * JSON output stays exact (scripts must get the real value), but characters that would reorder or
 * hide text on a terminal are written as JSON escapes, which parse back to the same string.
 * JSON.stringify already escapes control characters and lone surrogates.
 */
export function escapeFormatCharactersInJson(json: string): string {
  return json.replace(FORMAT, (c) => `\\u${hex(c, 4)}`);
}

/**
 * Inline Markdown (and Jira wiki markup, where reports are pasted): no HTML, links, images, emphasis,
 * code spans or macros from data. Block markers (`#`, `-`, `+` at a line start) cannot occur inside a
 * table cell or an inline span, so they are left alone.
 */
export function markdownText(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/[\\`*_{}[\]!|~^]/g, (c) => `\\${c}`);
}
