import type { DueReview, OwnerGroup } from '../../governance/reviews-due.js';
import type { StoredReview } from '../../store/store.js';
import { type Column, type OutputFormat, renderJson, renderRows } from '../format.js';

const day = (iso: string | null) => (iso ? iso.slice(0, 10) : '');

function ownerText(g: Pick<OwnerGroup, 'owner'>): string {
  if (!g.owner) return 'no owner';
  const team = g.owner.team ? ` (${g.owner.team})` : '';
  return `${g.owner.name}${team}${g.owner.source === 'platform' ? ' [in-platform owner]' : ''}`;
}

const DUE_COLUMNS: Column<DueReview>[] = [
  { header: 'Status', value: (d) => d.status },
  { header: 'Due', value: (d) => (d.dueAt ? day(d.dueAt) : 'now') },
  {
    header: 'Last review',
    value: (d) =>
      d.lastReview
        ? `${d.lastReview.decision} by ${d.lastReview.reviewer} ${day(d.lastReview.date)}`
        : 'never',
  },
  { header: 'Platform', value: (d) => d.platform },
  { header: 'Kind', value: (d) => d.kind },
  { header: 'Name', value: (d) => d.name ?? d.id },
  { header: 'Id', value: (d) => d.id },
  { header: 'Max risk', value: (d) => d.highestTier },
];

const FLAT_COLUMNS: Column<DueReview>[] = [
  { header: 'Owner', value: (d) => ownerText(d) },
  ...DUE_COLUMNS,
  { header: 'Tenant', value: (d) => d.tenant },
];

function dueJson(d: DueReview) {
  return {
    platform: d.platform,
    tenant: d.tenant,
    identity: { kind: d.kind, id: d.id, name: d.name },
    manageUrl: d.manageUrl,
    status: d.status,
    dueAt: d.dueAt,
    periodDays: d.periodDays,
    highestTier: d.highestTier,
    lastReview: d.lastReview
      ? {
          decision: d.lastReview.decision,
          reviewer: d.lastReview.reviewer,
          date: d.lastReview.date,
          note: d.lastReview.note,
          until: d.lastReview.until,
          source: d.lastReview.source,
        }
      : null,
  };
}

/**
 * `grantscope reviews due`: one list per owner. The table prints a heading per owner; json nests the
 * identities under their owner; csv and md are flat, with an Owner column, in the same order.
 */
export function renderReviewsDue(
  groups: readonly OwnerGroup[],
  format: OutputFormat,
  withinDays: number,
): string {
  if (format === 'json') {
    return renderJson(
      groups.map((g) => ({
        owner: g.owner,
        count: g.reviews.length,
        identities: g.reviews.map(dueJson),
      })),
    );
  }
  if (format !== 'table')
    return renderRows(
      format,
      groups.flatMap((g) => g.reviews),
      FLAT_COLUMNS,
    );
  if (groups.length === 0)
    return `Nothing to review: no identity is overdue or due within ${withinDays} days.\n`;
  const total = groups.reduce((n, g) => n + g.reviews.length, 0);
  const parts = groups.map(
    (g) => `${ownerText(g)}: ${g.reviews.length} to review\n${renderRows('table', g.reviews, DUE_COLUMNS)}`,
  );
  return `${parts.join('\n')}\n${total} identities to review, ${groups.length} owner list${groups.length === 1 ? '' : 's'}. Record a review: grantscope review <id> --decision keep|reduce|revoke --reviewer <name>\n`;
}

const HISTORY_COLUMNS: Column<StoredReview>[] = [
  { header: 'Date', value: (r) => r.reviewedAt.slice(0, 19).replace('T', ' ') },
  { header: 'Decision', value: (r) => r.decision },
  { header: 'Reviewer', value: (r) => r.reviewer },
  { header: 'Until', value: (r) => day(r.until) },
  { header: 'Note', value: (r) => r.note ?? '' },
  { header: 'Scan', value: (r) => r.scanId ?? '', align: 'right' },
];

function reviewJson(r: StoredReview) {
  return {
    id: r.id,
    platform: r.platform,
    tenant: r.tenant,
    identity: { kind: r.kind, id: r.nativeId, name: r.displayName },
    decision: r.decision,
    reviewer: r.reviewer,
    note: r.note,
    until: r.until,
    date: r.reviewedAt,
    scanId: r.scanId,
  };
}

/** `grantscope reviews history`: the reviews of one identity, newest first (the first is in force). */
export function renderReviewHistory(reviews: readonly StoredReview[], format: OutputFormat): string {
  if (format === 'json') return renderJson(reviews.map(reviewJson));
  if (format === 'table' && reviews.length === 0) return 'No review recorded for this identity.\n';
  return renderRows(format, reviews, HISTORY_COLUMNS);
}

/** What `grantscope review` prints once the review is stored. */
export function renderRecordedReview(r: StoredReview, format: OutputFormat): string {
  if (format === 'json') return renderJson(reviewJson(r));
  if (format !== 'table') return renderRows(format, [r], HISTORY_COLUMNS);
  const who = `${r.displayName ? `"${r.displayName}" ` : ''}(${r.kind} ${r.nativeId}, ${r.platform} ${r.tenant})`;
  const until = r.until ? `, due ${day(r.until)}` : '';
  return `Recorded review #${r.id}: ${r.decision} ${who} by ${r.reviewer}${until}.\n`;
}
