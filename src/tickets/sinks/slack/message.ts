import { digestSummary } from '../../digest.js';
import type { DigestEntry, SyncDigest } from '../../sink.js';
import { escapeMrkdwn } from './mrkdwn.js';

/**
 * The Block Kit message of a digest. Limits from Slack's Block Kit reference
 * (docs.slack.dev/reference/block-kit/blocks): at most 50 blocks in a message, a section's text at
 * most 3,000 characters, a header's plain text at most 150. A digest larger than that lists the most
 * severe findings and counts the rest.
 */
export const SLACK_LIMITS = { blocks: 50, sectionText: 3000, headerText: 150 } as const;

/** The JSON an incoming webhook receives. */
export interface SlackMessage {
  /** The notification's text (and what clients without blocks show). */
  text: string;
  blocks: SlackBlock[];
  /** Never turn `@name` into a mention, nor unfurl a link (there is none, but say so). */
  link_names: false;
  unfurl_links: false;
  unfurl_media: false;
}

export type SlackBlock =
  | { type: 'header'; text: { type: 'plain_text'; text: string; emoji: false } }
  | { type: 'section'; text: { type: 'mrkdwn'; text: string } }
  | { type: 'context'; elements: { type: 'mrkdwn'; text: string }[] };

const SECTIONS: {
  key: keyof Pick<SyncDigest, 'opened' | 'reopened' | 'changed' | 'resolved' | 'excepted'>;
  label: string;
}[] = [
  { key: 'opened', label: 'New' },
  { key: 'reopened', label: 'Back again' },
  { key: 'changed', label: 'Changed' },
  { key: 'resolved', label: 'Resolved' },
  { key: 'excepted', label: 'Accepted by exception' },
];

function line(e: DigestEntry, changed: boolean): string {
  const severity = `\`${e.severity.toUpperCase()}\``;
  const was =
    changed && e.previousSeverity ? ` (was ${e.previousSeverity})` : changed ? ' (evidence changed)' : '';
  return `• ${severity} ${escapeMrkdwn(e.title)}${was}`;
}

/** Lines packed into sections of at most `max` characters (a line longer than that is cut). */
function pack(heading: string, lines: string[], max: number): string[] {
  const out: string[] = [];
  let current = heading;
  for (const raw of lines) {
    const l = raw.length > max - 1 ? `${raw.slice(0, max - 2)}…` : raw;
    if (current.length + 1 + l.length > max) {
      out.push(current);
      current = l;
    } else {
      current = `${current}\n${l}`;
    }
  }
  out.push(current);
  return out;
}

export function digestMessage(d: SyncDigest, options: { maxItems: number }): SlackMessage {
  const summary = digestSummary(d);
  const blocks: SlackBlock[] = [
    {
      type: 'header',
      text: {
        type: 'plain_text',
        text: `grantscope: scan #${d.scanId}`.slice(0, SLACK_LIMITS.headerText),
        emoji: false,
      },
    },
    { type: 'section', text: { type: 'mrkdwn', text: `*${summary}*` } },
  ];
  // Room for the closing context block.
  const room = SLACK_LIMITS.blocks - 1;
  let hidden = 0;
  for (const { key, label } of SECTIONS) {
    const entries = d[key];
    if (entries.length === 0) continue;
    const shown = entries.slice(0, options.maxItems);
    const lines = shown.map((e) => line(e, key === 'changed'));
    if (entries.length > shown.length) lines.push(`…and ${entries.length - shown.length} more`);
    for (const text of pack(`*${label} (${entries.length})*`, lines, SLACK_LIMITS.sectionText)) {
      if (blocks.length >= room) {
        hidden += 1;
        continue;
      }
      blocks.push({ type: 'section', text: { type: 'mrkdwn', text } });
    }
  }
  const more = hidden > 0 ? ' Some sections did not fit in one message.' : '';
  blocks.push({
    type: 'context',
    elements: [
      {
        type: 'mrkdwn',
        text: `Sink \`${escapeMrkdwn(d.sink)}\`. All findings: \`grantscope findings --scan ${d.scanId}\`.${more}`,
      },
    ],
  });
  return {
    text: `grantscope scan #${d.scanId}: ${summary}`,
    blocks,
    link_names: false,
    unfurl_links: false,
    unfurl_media: false,
  };
}
