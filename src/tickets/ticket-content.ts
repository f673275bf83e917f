import type { Finding } from '../findings/finding.js';
import { SEVERITY_ORDER, type Severity } from '../findings/severity.js';
import { safeText } from '../output/safe-text.js';
import type { TicketGrouping } from './config.js';
import type { TicketBlock, TicketContent, TicketDocument } from './sink.js';
import { TITLE_MAX, type TicketItem } from './ticket-item.js';

/**
 * The words of tickets and comments, as neutral documents each sink renders in its own markup. Every
 * string from a finding is third-party text (display names, descriptions): made safe and cut here; the
 * sink escapes it for its markup (ADF, Markdown, HTML) so it can never mention users or inject links.
 */
const VALUE_MAX = 500;
const text = (s: string, max = VALUE_MAX) => safeText(s.replace(/\s+/g, ' ').trim(), { maxLength: max });

function evidenceValue(v: unknown): string {
  return text(typeof v === 'string' ? v : JSON.stringify(v));
}

export function highest(severities: Iterable<Severity>): Severity {
  let best: Severity = 'info';
  for (const s of severities) if (SEVERITY_ORDER[s] > SEVERITY_ORDER[best]) best = s;
  return best;
}

function findingBlocks(f: Finding): TicketBlock[] {
  return [
    { kind: 'heading', text: text(f.title, TITLE_MAX) },
    {
      kind: 'facts',
      rows: [
        { label: 'Severity', value: f.severity },
        { label: 'Rule', value: f.rule },
        { label: 'Platform', value: `${f.platform} (${text(f.tenant, 100)})` },
        {
          label: 'Identity',
          value: `${text(f.identity.name ?? f.identity.id, 200)} (${f.identity.kind} ${text(f.identity.id, 200)})`,
        },
        ...Object.entries(f.evidence).map(([k, v]) => ({ label: text(k, 100), value: evidenceValue(v) })),
        { label: 'Fingerprint', value: f.fingerprint },
      ],
    },
    { kind: 'paragraph', text: text(f.remediation, 2000) },
  ];
}

function ticketTitle(key: string, grouping: TicketGrouping, first: Finding | null, n: number): string {
  const count = n === 1 ? '1 finding' : `${n} findings`;
  if (grouping === 'owner') return text(`Owner ${key.slice('owner:'.length)}: ${count}`, TITLE_MAX);
  if (!first)
    return text(grouping === 'finding' ? `grantscope finding ${key}` : `${key}: ${count}`, TITLE_MAX);
  if (grouping === 'finding') return text(first.title, TITLE_MAX);
  return text(`${first.identity.name ?? first.identity.id} (${first.platform}): ${count}`, TITLE_MAX);
}

/**
 * A new ticket for the open findings of one key (finding or group). A finding carried over from a scan
 * that could not see it has no details now: it is listed by the title last sent.
 */
export function ticketContent(
  key: string,
  grouping: TicketGrouping,
  covered: ReadonlyMap<string, { item: TicketItem; finding: Finding | null }>,
): TicketContent {
  const entries = [...covered.values()];
  const findings = entries.flatMap((e) => (e.finding ? [e.finding] : []));
  const carried = entries.filter((e) => !e.finding).map((e) => e.item);
  const sorted = [...findings].sort(
    (a, b) =>
      SEVERITY_ORDER[b.severity] - SEVERITY_ORDER[a.severity] || a.fingerprint.localeCompare(b.fingerprint),
  );
  const severity = highest(entries.map((e) => e.item.severity as Severity));
  const blocks: TicketBlock[] = [
    {
      kind: 'paragraph',
      text: 'grantscope found the following about a third-party identity. This ticket is kept current by `grantscope tickets sync`: it is commented when the finding changes and closed when it is resolved.',
    },
    ...sorted.flatMap(findingBlocks),
  ];
  if (carried.length > 0) {
    blocks.push({ kind: 'heading', text: 'Also open (not re-read by the latest scan)' });
    blocks.push({ kind: 'bullets', items: carried.map((i) => `${i.title} (${i.severity})`) });
  }
  return {
    title: ticketTitle(key, grouping, sorted[0] ?? null, entries.length),
    body: { blocks },
    severity,
    labels: ['grantscope', `severity-${severity}`, ...new Set(sorted.map((f) => `rule-${f.rule}`))],
    key,
    fingerprints: [...covered.keys()].sort(),
  };
}

/** What happened to the findings of a ticket between two syncs. */
export interface TicketChanges {
  /** Findings new to the ticket (or back). */
  joined: Finding[];
  /** Findings whose severity or evidence changed: now, and the item last sent. */
  changed: { now: Finding; before: TicketItem }[];
  /** Findings no longer found by a complete scan (or below the sink's threshold now). */
  resolved: TicketItem[];
  /** Findings accepted by an active exception. */
  excepted: Finding[];
}

function exceptionLine(f: Finding): string {
  const e = f.exception;
  const who = e ? `approved by ${text(e.approver, 200)} until ${text(e.expires, 40)}` : 'by an exception';
  const why = e?.reason ? `: ${text(e.reason, 300)}` : '';
  return `${text(f.title, TITLE_MAX)}: accepted ${who}${why}`;
}

/** A comment (or the comment that comes with a close or reopen) saying what changed. */
export function changesDocument(lead: string, changes: TicketChanges): TicketDocument {
  const blocks: TicketBlock[] = [{ kind: 'paragraph', text: lead }];
  if (changes.joined.length > 0) {
    blocks.push({ kind: 'heading', text: 'Open' });
    blocks.push(...changes.joined.flatMap(findingBlocks));
  }
  if (changes.changed.length > 0) {
    blocks.push({ kind: 'heading', text: 'Changed' });
    for (const { now, before } of changes.changed) {
      blocks.push({
        kind: 'paragraph',
        text:
          before.severity !== now.severity
            ? `Severity ${before.severity} → ${now.severity}: ${text(now.title, TITLE_MAX)}`
            : `Evidence changed: ${text(now.title, TITLE_MAX)}`,
      });
      blocks.push(...findingBlocks(now).slice(1, 2));
    }
  }
  if (changes.resolved.length > 0) {
    blocks.push({ kind: 'heading', text: 'Resolved' });
    blocks.push({
      kind: 'bullets',
      items: changes.resolved.map((i) => `${i.title} (was ${i.severity})`),
    });
  }
  if (changes.excepted.length > 0) {
    blocks.push({ kind: 'heading', text: 'Accepted by exception' });
    blocks.push({ kind: 'bullets', items: changes.excepted.map(exceptionLine) });
  }
  return { blocks };
}
