import type { TicketDocument } from '../../sink.js';

/**
 * A ticket document as plain text, for ServiceNow's description and journal fields. Text from APIs
 * stays text: ServiceNow renders journal entries as HTML only inside `[code]…[/code]`, so that marker
 * is broken up wherever it occurs in the data.
 */
export function plainText(doc: TicketDocument): string {
  const lines: string[] = [];
  for (const b of doc.blocks) {
    switch (b.kind) {
      case 'heading':
        lines.push('', safe(b.text).toUpperCase());
        break;
      case 'paragraph':
        lines.push(safe(b.text));
        break;
      case 'bullets':
        for (const item of b.items) lines.push(`- ${safe(item)}`);
        break;
      case 'facts':
        for (const r of b.rows) lines.push(`${safe(r.label)}: ${safe(r.value)}`);
        break;
      case 'link':
        lines.push(`${safe(b.text)}: ${safe(b.url)}`);
        break;
      case 'code':
        lines.push(safe(b.text));
        break;
    }
  }
  return lines.join('\n').trim();
}

const safe = (text: string) => text.replace(/\[(\/?)code\]/gi, '[$1code\u200b]');
