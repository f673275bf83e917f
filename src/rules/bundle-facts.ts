import { type Grant, RISK_ORDER, type RiskTier } from '../model/index.js';
import type { IdentityBundle } from '../store/store.js';

export const DAY_MS = 86_400_000;

/** Who a bundle is about, whether or not the identity record itself is present. */
export interface BundleIdentity {
  platform: string;
  tenant: string;
  kind: string;
  nativeId: string;
  name: string | null;
  manageUrl: string | null;
}

export function bundleIdentity(b: IdentityBundle): BundleIdentity {
  const any = b.identity ?? b.grants[0] ?? b.credentials[0];
  const ref = b.identity ?? b.grants[0]?.identity ?? b.credentials[0]?.identity;
  // Fall back to the keys (`platform:tenant`, `kind:nativeId`); platform ids and kinds hold no colon.
  const split = (s: string): [string, string] => {
    const i = s.indexOf(':');
    return i < 0 ? [s, ''] : [s.slice(0, i), s.slice(i + 1)];
  };
  const [platform, tenant] = any ? [any.platform, any.tenant.id] : split(b.source);
  const [kind, nativeId] = ref ? [ref.kind, ref.nativeId] : split(b.identityKey);
  return {
    platform,
    tenant,
    kind,
    nativeId,
    name: b.identity?.displayName ?? null,
    manageUrl: b.identity?.manageUrl ?? null,
  };
}

export function tierAtLeast(tier: RiskTier, threshold: RiskTier): boolean {
  return RISK_ORDER[tier] >= RISK_ORDER[threshold];
}

/** The highest risk tier among `grants` (`unknown` when there are none). */
export function highestTier(grants: readonly Grant[]): RiskTier {
  let max: RiskTier = 'unknown';
  for (const g of grants) if (RISK_ORDER[g.risk.tier] > RISK_ORDER[max]) max = g.risk.tier;
  return max;
}

/** Whole days from `from` to `to` (negative when `from` is later), rounded down. */
export function wholeDays(from: number, to: number): number {
  return Math.floor((to - from) / DAY_MS);
}

/** The first instant after `now` at which `wholeDays(from, now)` changes (a day count since `from` ticks). */
export function nextDayAfter(from: number, now: number): number {
  return from + (wholeDays(from, now) + 1) * DAY_MS;
}

/** The first instant after `now` at which `wholeDays(now, to)` changes (a day count until `to` ticks). */
export function nextDayUntil(to: number, now: number): number {
  return to - wholeDays(now, to) * DAY_MS + 1;
}

/** Grants ordered for people: riskiest first, then by permission name. */
export function byRisk(grants: readonly Grant[]): Grant[] {
  return [...grants].sort(
    (a, b) =>
      RISK_ORDER[b.risk.tier] - RISK_ORDER[a.risk.tier] ||
      (a.permission.name < b.permission.name ? -1 : a.permission.name > b.permission.name ? 1 : 0),
  );
}
