import { lastReviewField, type ReviewsInForce } from '../../governance/reviews-in-force.js';
import { RISK_ORDER, type RiskTier } from '../../model/common.js';
import type { IdentityBundle } from '../../store/store.js';
import { type Column, type OutputFormat, renderJson, renderRows } from '../format.js';

export interface InventoryOptions {
  /** Include the raw API objects in json output. */
  raw?: boolean;
  /** Reviews in force: entries of reviewed identities carry `lastReview`, the table a Reviewed column. */
  reviews?: ReviewsInForce;
}

function maxTier(b: IdentityBundle): RiskTier {
  let best: RiskTier = 'unknown';
  for (const g of b.grants) if (RISK_ORDER[g.risk.tier] > RISK_ORDER[best]) best = g.risk.tier;
  return best;
}

function ownersText(b: IdentityBundle): string {
  const owners = b.identity?.owners ?? [];
  if (owners.length === 0) return '-';
  return owners.map((o) => `${o.name ?? o.id}${o.active === false ? ' (inactive)' : ''}`).join(', ');
}

function lastUsedText(b: IdentityBundle): string {
  const lu = b.identity?.lastUsed;
  if (!lu) return 'n/a';
  return lu.at ? lu.at.slice(0, 10) : 'never';
}

const COLUMNS: Column<IdentityBundle>[] = [
  { header: 'Platform', value: (b) => b.identity?.platform ?? b.grants[0]?.platform ?? '' },
  { header: 'Kind', value: (b) => b.identity?.kind ?? b.identityKey.split(':')[0] },
  {
    header: 'Name',
    value: (b) => b.identity?.displayName ?? b.identity?.nativeId ?? b.identityKey,
    maxWidth: 34,
  },
  { header: 'Id', value: (b) => b.identity?.nativeId ?? '', maxWidth: 38 },
  { header: 'Origin', value: (b) => b.identity?.origin ?? '' },
  { header: 'Grants', value: (b) => b.grants.length, align: 'right' },
  { header: 'Max risk', value: (b) => maxTier(b) },
  { header: 'Creds', value: (b) => b.credentials.length, align: 'right' },
  { header: 'Owners', value: ownersText, maxWidth: 30 },
  { header: 'Last used', value: lastUsedText },
];

function stripRaw<T extends { raw?: unknown }>(r: T, keep: boolean): T {
  if (keep) return r;
  const { raw: _raw, ...rest } = r;
  return rest as T;
}

/** The json shape of one inventory entry: the identity with its grants and credentials nested. */
export function inventoryEntry(b: IdentityBundle, options: InventoryOptions = {}) {
  const keep = options.raw === true;
  return {
    ...(b.identity ? stripRaw(b.identity, keep) : { key: b.identityKey, missing: true }),
    grants: b.grants.map((g) => stripRaw(g, keep)),
    credentials: b.credentials.map((c) => stripRaw(c, keep)),
    ...lastReviewOf(b, options.reviews),
  };
}

function lastReviewOf(b: IdentityBundle, reviews: ReviewsInForce | undefined) {
  const review = reviews?.of(b);
  return review ? { lastReview: lastReviewField(review) } : {};
}

const REVIEWED_COLUMN = (reviews: ReviewsInForce): Column<IdentityBundle> => ({
  header: 'Reviewed',
  value: (b) => {
    const r = reviews.of(b);
    return r ? `${r.decision} ${r.date.slice(0, 10)}` : '-';
  },
});

export function renderInventory(
  bundles: readonly IdentityBundle[],
  format: OutputFormat,
  options: InventoryOptions = {},
): string {
  if (format === 'json') return renderJson(bundles.map((b) => inventoryEntry(b, options)));
  if (format === 'table' && bundles.length === 0) return 'No identities in this snapshot.\n';
  const columns = options.reviews ? [...COLUMNS, REVIEWED_COLUMN(options.reviews)] : COLUMNS;
  const out = renderRows(format, bundles, columns);
  if (format !== 'table') return out;
  const grants = bundles.reduce((n, b) => n + b.grants.length, 0);
  const creds = bundles.reduce((n, b) => n + b.credentials.length, 0);
  return `${out}\n${bundles.length} identities, ${grants} grants, ${creds} credentials\n`;
}
