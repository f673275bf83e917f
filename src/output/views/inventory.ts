import { matchesIdentity } from '../../governance/match.js';
import type { Governance } from '../../governance/model.js';
import type { PersonDirectory } from '../../governance/people.js';
import { lastReviewField, type ReviewsInForce } from '../../governance/reviews-in-force.js';
import { approvalOf, governanceIndex, matchTarget, registeredOwners } from '../../governance/view.js';
import { RISK_ORDER, type RiskTier } from '../../model/common.js';
import type { IdentityBundle } from '../../store/store.js';
import { type Column, type OutputFormat, renderJson, renderRows } from '../format.js';

export interface InventoryOptions {
  /** Include the raw API objects in json output. */
  raw?: boolean;
  /** Reviews in force: entries of reviewed identities carry `lastReview`, the table a Reviewed column. */
  reviews?: ReviewsInForce;
  /** The governance file in force: registered owners, approvals, exceptions and retirement per identity. */
  governance?: { file: Governance; people: PersonDirectory };
  /**
   * When the identities were read from more than one scan (a round of one scan per tenant): the scan
   * each source was read from (json entries carry `scanId`), and a line naming them (the table's first).
   */
  scans?: { of: (source: string) => number | undefined; line: string };
}

/** What the governance file says of one identity (null when it says nothing). */
export function governanceOf(b: IdentityBundle, g: { file: Governance; people: PersonDirectory }) {
  const target = matchTarget(b);
  const registered = registeredOwners(g.file, g.people, target);
  const approval = approvalOf(g.file, b) ?? null;
  const retired = governanceIndex(g.file).retired.find(target)[0] ?? null;
  const exceptions = g.file.exceptions
    .filter((e) => e.match && matchesIdentity(e.match, target))
    .map((e) => ({
      rule: e.rule ?? null,
      approver: e.approver,
      reason: e.reason,
      expires: e.expires,
      source: e.source,
    }));
  if (registered.length === 0 && !approval && !retired && exceptions.length === 0) return null;
  return {
    registeredOwners: registered,
    approval,
    retired: retired && {
      name: retired.name,
      date: retired.date,
      reference: retired.reference ?? null,
      source: retired.source,
    },
    exceptions,
  };
}

function registeredText(b: IdentityBundle, options: InventoryOptions): string[] {
  if (!options.governance) return [];
  return registeredOwners(options.governance.file, options.governance.people, matchTarget(b)).map(
    (o) => `${o.person}${o.active === false ? ' (left)' : ''}`,
  );
}

function maxTier(b: IdentityBundle): RiskTier {
  let best: RiskTier = 'unknown';
  for (const g of b.grants) if (RISK_ORDER[g.risk.tier] > RISK_ORDER[best]) best = g.risk.tier;
  return best;
}

/** Registered owners (governance file) first, then the platform's. */
function ownersText(b: IdentityBundle, options: InventoryOptions = {}): string {
  const owners = [
    ...registeredText(b, options),
    ...(b.identity?.owners ?? []).map((o) => `${o.name ?? o.id}${o.active === false ? ' (inactive)' : ''}`),
  ];
  return owners.length === 0 ? '-' : owners.join(', ');
}

/** The org, tenant or customer id: the identity's, else its grants', else the scan source's (`github:acme`). */
function tenantOf(b: IdentityBundle): string {
  const fromRecord = b.identity?.tenant.id ?? b.grants[0]?.tenant.id ?? b.credentials[0]?.tenant.id;
  return fromRecord ?? b.source.slice(b.source.indexOf(':') + 1);
}

function lastUsedText(b: IdentityBundle): string {
  const lu = b.identity?.lastUsed;
  if (!lu) return 'n/a';
  return lu.at ? lu.at.slice(0, 10) : 'never';
}

const columns = (options: InventoryOptions): Column<IdentityBundle>[] => [
  {
    header: 'Platform',
    value: (b) => b.identity?.platform ?? b.grants[0]?.platform ?? '',
    noWrap: true,
    hideBelow: 100,
  },
  { header: 'Tenant', value: tenantOf, hideBelow: 200 },
  { header: 'Kind', value: (b) => b.identity?.kind ?? b.identityKey.split(':')[0], noWrap: true },
  {
    header: 'Name',
    value: (b) => b.identity?.displayName ?? b.identity?.nativeId ?? b.identityKey,
    grow: 2,
  },
  { header: 'Id', value: (b) => b.identity?.nativeId ?? '', hideBelow: 140 },
  { header: 'Origin', value: (b) => b.identity?.origin ?? '', hideBelow: 110 },
  { header: 'Grants', value: (b) => b.grants.length, align: 'right', noWrap: true },
  { header: 'Max risk', value: (b) => maxTier(b), noWrap: true },
  { header: 'Creds', value: (b) => b.credentials.length, align: 'right', noWrap: true, hideBelow: 100 },
  { header: 'Owners', value: (b) => ownersText(b, options) },
  { header: 'Last used', value: lastUsedText, noWrap: true, hideBelow: 100 },
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
    ...(options.governance && { governance: governanceOf(b, options.governance) }),
    ...(options.scans && { scanId: options.scans.of(b.source) ?? null }),
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
  const base = columns(options);
  const out = renderRows(
    format,
    bundles,
    options.reviews ? [...base, REVIEWED_COLUMN(options.reviews)] : base,
  );
  if (format !== 'table') return out;
  const grants = bundles.reduce((n, b) => n + b.grants.length, 0);
  const creds = bundles.reduce((n, b) => n + b.credentials.length, 0);
  const read = options.scans ? `Scans read: ${options.scans.line}\n\n` : '';
  return `${read}${out}\n${bundles.length} identities, ${grants} grants, ${creds} credentials\n`;
}
