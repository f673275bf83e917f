import type { TicketDocument } from '../../sink.js';

const ENTITIES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '@': '&#64;',
  '#': '&#35;',
};

/**
 * Text from APIs as literal Markdown: HTML and Markdown syntax are escaped, and `@name` / `#123` are
 * written as entities so that an app named after a person or an issue pings nobody and links nothing.
 */
export function escapeMarkdown(text: string): string {
  // One pass, so that an entity's own `&` and `#` are not escaped again.
  return text.replace(/[&<>@#\\`*_[\]{}()!|~+-]|\r?\n/g, (c) => {
    if (c === '\n' || c === '\r\n') return ' ';
    return ENTITIES[c] ?? `\\${c}`;
  });
}

export function markdown(doc: TicketDocument): string {
  const out: string[] = [];
  for (const b of doc.blocks) {
    switch (b.kind) {
      case 'heading':
        out.push(`### ${escapeMarkdown(b.text)}`);
        break;
      case 'paragraph':
        out.push(escapeMarkdown(b.text));
        break;
      case 'bullets':
        out.push(b.items.map((i) => `- ${escapeMarkdown(i)}`).join('\n'));
        break;
      case 'facts':
        out.push(
          [
            '| | |',
            '|---|---|',
            ...b.rows.map((r) => `| ${escapeMarkdown(r.label)} | ${escapeMarkdown(r.value)} |`),
          ].join('\n'),
        );
        break;
      case 'link':
        // Only web links become links; anything else is shown as text.
        out.push(
          /^https?:\/\//i.test(b.url)
            ? `[${escapeMarkdown(b.text)}](<${b.url.replace(/[<>\s]/g, encodeURIComponent)}>)`
            : `${escapeMarkdown(b.text)}: ${escapeMarkdown(b.url)}`,
        );
        break;
      case 'code': {
        const fence = '`'.repeat(Math.max(3, ...[...b.text.matchAll(/`+/g)].map((m) => m[0].length + 1)));
        out.push(`${fence}text\n${b.text}\n${fence}`);
        break;
      }
    }
  }
  return out.join('\n\n');
}
