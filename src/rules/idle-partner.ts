import { z } from 'zod';
import {
  type Credential,
  type Grant,
  type Identity,
  type Json,
  RISK_ORDER,
  type RiskTier,
} from '../model/index.js';
import type { IdentityBundle } from '../store/store.js';
import type { AggregateResult, Aggregation } from './aggregate.js';
import { bundleIdentity, DAY_MS, highestTier, tierAtLeast, wholeDays } from './bundle-facts.js';
import { EVIDENCE_LIST_MAX } from './evidence.js';
import { defineRule } from './rule.js';
import { days, TierThreshold } from './settings.js';
import { dayCount, listSome } from './wording.js';

/** An identity's last activity: the latest use of it or any of its credentials. */
type Activity =
  | { kind: 'used'; at: number; source: string }
  /** Every signal says "never used": judged from its creation (a new app is not idle yet). */
  | { kind: 'never'; at: number }
  /** No usage signal at all (licence missing, API not offered): nothing can be said. */
  | { kind: 'unknown' };

export function lastActivity(b: IdentityBundle): Activity {
  const signals = [b.identity?.lastUsed, ...b.credentials.map((c) => c.lastUsed)].filter((s) => s != null);
  if (signals.length === 0) return { kind: 'unknown' };
  let best: { at: number; source: string } | null = null;
  for (const s of signals) {
    if (s.at === null) continue;
    const at = Date.parse(s.at);
    if (!best || at > best.at) best = { at, source: s.source };
  }
  if (best) return { kind: 'used', ...best };
  const created = b.identity?.createdAt ? Date.parse(b.identity.createdAt) : Number.NEGATIVE_INFINITY;
  return { kind: 'never', at: created };
}

/**
 * The vendor an identity belongs to, within its tenant: the publisher the model records (its id,
 * else its name: a verified publisher, the owning Entra tenant, the GitHub App's owner), else, for an
 * app whose platform records no publisher (a Google OAuth client), its display name. Only third-party
 * identities have a vendor.
 */
export function vendorOf(b: IdentityBundle): { key: string; name: string } | null {
  const i = b.identity;
  if (i?.origin !== 'third-party') return null;
  const key = i.publisher.id ?? i.publisher.name ?? i.displayName;
  if (!key) return null;
  return { key: key.toLowerCase(), name: i.publisher.name ?? i.displayName ?? key };
}

/**
 * What the aggregation reads of a vendor's identity (`vendorOf`, `bundleIdentity`, `lastActivity`, the
 * grants' count and tiers, the credentials' count and last use), as a bundle; null for other identities.
 */
export function projectForVendor(b: IdentityBundle): IdentityBundle | null {
  const i = b.identity;
  if (!i || !vendorOf(b)) return null;
  const identity = {
    type: i.type,
    platform: i.platform,
    tenant: { id: i.tenant.id },
    kind: i.kind,
    nativeId: i.nativeId,
    displayName: i.displayName,
    manageUrl: i.manageUrl,
    origin: i.origin,
    publisher: { id: i.publisher.id, name: i.publisher.name },
    lastUsed: i.lastUsed,
    createdAt: i.createdAt,
  } as unknown as Identity;
  return {
    source: b.source,
    identityKey: b.identityKey,
    identity,
    grants: b.grants.map((g) => ({ risk: { tier: g.risk.tier } }) as unknown as Grant),
    credentials: b.credentials.map((c) => ({ lastUsed: c.lastUsed }) as unknown as Credential),
  };
}

/** An identity to revoke, kept compact (a tuple): kind, id, name, manageUrl, last use (ms or NaN), grants, credentials. */
type IdentityEntry = [string, string, string | null, string | null, number, number, number];

/**
 * What is kept per idle-so-far vendor: counts, the latest activity and a capped list of what to
 * revoke. A vendor found active (or not judgeable) is replaced by `null`: only its key remains.
 */
interface VendorSummary {
  name: string;
  lastActivity: number;
  lastActivitySource: string | null;
  identityCount: number;
  grantCount: number;
  credentialCount: number;
  tier: RiskTier;
  identities: IdentityEntry[];
}

/**
 * A partner that uses none of its access: every one of its identities in a tenant (see `vendorOf`)
 * unused for `idleDays` (the latest use of the identity or any of its credentials; an identity never
 * used counts from its creation). A vendor with any identity lacking a usage signal cannot be judged
 * and is not reported. One finding per vendor and tenant, listing what to revoke.
 *
 * Runs as an aggregation over the streamed snapshot: per vendor only counts, the latest activity and
 * up to EVIDENCE_LIST_MAX identity entries are kept, and a vendor found active keeps only its flag;
 * summaries are flushed at the end of each tenant.
 */
export const idlePartner = defineRule({
  id: 'idle-partner',
  description: 'Vendors none of whose identities in a tenant was used for a while (default 90 days).',
  findingType: 'stale',
  needsDiff: false,
  settings: {
    idleDays: days.default(90).describe('No identity of the vendor used for more than this many days: idle'),
    minIdentities: z
      .number()
      .int()
      .positive()
      .default(2)
      .describe(
        'Report only vendors with at least this many identities in the tenant (one idle identity alone is `stale`)',
      ),
    elevateAtTier: TierThreshold.default('high').describe(
      'Severity is high (else medium) when the vendor holds a grant at this tier or above',
    ),
  },
  evaluate: () => [],
  // A vendor's finding is judged from all of its identities at every scan, from what `project` kept of
  // those not read again: nothing of an identity is carried that depends on the date.
  validUntil: () => Number.POSITIVE_INFINITY,
  project: projectForVendor,
  aggregate({ policy, asOf }): Aggregation {
    const now = asOf.getTime();
    const cutoff = now - policy.idleDays * DAY_MS;
    let vendors = new Map<string, VendorSummary | null>();
    // Bundles of one source arrive together; the aggregation is flushed when the source changes.
    let where = { platform: '', tenant: '' };
    return {
      add(bundle) {
        const vendor = vendorOf(bundle);
        if (!vendor) return;
        let v = vendors.get(vendor.key);
        if (v === null) return;
        const who = bundleIdentity(bundle);
        where = { platform: who.platform, tenant: who.tenant };
        const activity = lastActivity(bundle);
        if (activity.kind === 'unknown' || activity.at > cutoff) {
          vendors.set(vendor.key, null);
          return;
        }
        if (!v) {
          v = {
            name: vendor.name,
            lastActivity: Number.NEGATIVE_INFINITY,
            lastActivitySource: null,
            identityCount: 0,
            grantCount: 0,
            credentialCount: 0,
            tier: 'unknown',
            identities: [],
          };
          vendors.set(vendor.key, v);
        }
        v.identityCount += 1;
        if (activity.at > v.lastActivity) {
          v.lastActivity = activity.at;
          v.lastActivitySource = activity.kind === 'used' ? activity.source : null;
        }
        v.grantCount += bundle.grants.length;
        v.credentialCount += bundle.credentials.length;
        const tier = highestTier(bundle.grants);
        if (RISK_ORDER[tier] > RISK_ORDER[v.tier]) v.tier = tier;
        if (v.identities.length < EVIDENCE_LIST_MAX) {
          v.identities.push([
            who.kind,
            who.nativeId,
            who.name,
            who.manageUrl,
            activity.kind === 'used' ? activity.at : Number.NaN,
            bundle.grants.length,
            bundle.credentials.length,
          ]);
        }
      },
      flush() {
        const out: AggregateResult[] = [];
        for (const [key, v] of vendors) {
          if (v === null || v.identityCount < policy.minIdentities) continue;
          const used = Number.isFinite(v.lastActivity);
          const idle = used ? `not used for ${dayCount(wholeDays(v.lastActivity, now))}` : 'never used';
          const n = v.identityCount;
          const names = v.identities.map(([, id, name]) => name ?? id);
          out.push({
            about: { ...where, kind: 'vendor', id: key, name: v.name },
            severity: tierAtLeast(v.tier, policy.elevateAtTier) ? 'high' : 'medium',
            subject: null,
            title: `Vendor "${v.name}" is idle: its ${n} identit${n === 1 ? 'y' : 'ies'} ${n === 1 ? 'was' : 'were'} ${idle} (${listSome(names)})`,
            evidence: {
              vendor: v.name,
              lastActivityAt: used ? new Date(v.lastActivity).toISOString() : null,
              lastActivitySource: v.lastActivitySource,
              daysIdle: used ? wholeDays(v.lastActivity, now) : null,
              idleDays: policy.idleDays,
              highestTier: v.tier,
              identityCount: n,
              grantCount: v.grantCount,
              credentialCount: v.credentialCount,
              identities: v.identities.map(
                ([kind, id, name, manageUrl, lastUsed, grants, credentials]): Json => ({
                  kind,
                  id,
                  name,
                  manageUrl,
                  lastUsedAt: Number.isNaN(lastUsed) ? null : new Date(lastUsed).toISOString(),
                  grants,
                  credentials,
                }),
              ),
              ...(n > v.identities.length ? { identitiesTruncated: true } : {}),
            },
            remediation:
              `If the partnership with ${v.name} has ended or the integration is no longer needed, revoke every ` +
              'identity listed (each at its manageUrl) and delete their credentials; otherwise record why ' +
              'the access stays (a review with --decision keep).',
          });
        }
        vendors = new Map();
        return out;
      },
    };
  },
});
