import { createHash } from 'node:crypto';
import type { Finding } from '../findings/finding.js';
import { safeText } from '../output/safe-text.js';
import type { TicketItem } from '../store/store.js';
import type { TicketGrouping } from './config.js';

export type { TicketItem } from '../store/store.js';

/**
 * Evidence derived from the clock (days since last use, days to expiry, days overdue) changes every
 * day without anything changing on the platform: it is left out of the hash, or every sync would
 * comment. The dates it is computed from stay in the evidence, and in the hash.
 */
const CLOCK_DERIVED = /^days[A-Z]|DaysAgo$|^(ageDays|expiresInDays)$/;

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value as object)
        .sort()
        .map((k) => [k, canonical((value as Record<string, unknown>)[k])]),
    );
  }
  return value;
}

export function itemHash(f: Pick<Finding, 'severity' | 'evidence'>): string {
  const evidence = Object.fromEntries(Object.entries(f.evidence).filter(([k]) => !CLOCK_DERIVED.test(k)));
  return createHash('sha256')
    .update(JSON.stringify([f.severity, canonical(evidence)]))
    .digest('hex')
    .slice(0, 32);
}

/** Titles are third-party text (display names): made safe and cut before they are stored or sent. */
export const TITLE_MAX = 250;

export function itemOf(f: Finding): TicketItem {
  return {
    hash: itemHash(f),
    source: `${f.platform}:${f.tenant}`,
    severity: f.severity,
    title: safeText(f.title.replace(/\s+/g, ' '), { maxLength: TITLE_MAX }),
  };
}

/** Hash over a ticket's items: what the ticket says, as a whole. */
export function contentHash(items: Readonly<Record<string, TicketItem>>): string {
  const h = createHash('sha256');
  for (const fp of Object.keys(items).sort()) h.update(`${fp}=${items[fp]!.hash}\n`);
  return h.digest('hex').slice(0, 32);
}

/**
 * The lifecycle key of a finding under a sink's grouping: its fingerprint, its identity, or its first
 * registered owner (by name; findings without one share the `owner:(none)` ticket).
 */
export function groupKey(f: Finding, grouping: TicketGrouping): string {
  switch (grouping) {
    case 'finding':
      return f.fingerprint;
    case 'identity':
      return `identity:${f.platform}:${f.tenant}:${f.identity.kind}:${f.identity.id}`;
    case 'owner': {
      const people = (f.owner?.registered ?? []).map((o) => o.person).sort();
      return `owner:${people[0] ?? '(none)'}`;
    }
  }
}
