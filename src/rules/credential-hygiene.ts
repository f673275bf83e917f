import { z } from 'zod';
import { SEVERITY_ORDER, Severity } from '../findings/severity.js';
import type { Credential, Json } from '../model/index.js';
import { bundleIdentity, DAY_MS, nextDayAfter, nextDayUntil, wholeDays } from './bundle-facts.js';
import { defineRule, type RulePolicySchema, type RuleResult } from './rule.js';
import { days, perCredentialType } from './settings.js';
import { capitalise, dayCount, describeCredential, identityLabel, whereToManage } from './wording.js';

/**
 * The defaults for any credential type. Each connector's vocabulary adds its own types' (a client
 * secret lives 180 days, a deploy key that never expires is low) through its policy defaults.
 */
const SETTINGS = {
  expiringWithinDays: days
    .default(30)
    .describe('A credential expiring within this many days of as-of is flagged as expiring soon'),
  maxLifetimeDays: perCredentialType(days, { default: 366 }).describe(
    'Longest acceptable lifetime (expiresAt - createdAt) per credential type; `default` for the rest',
  ),
  problemSeverity: z
    .strictObject({
      expired: Severity.default('medium'),
      expiringSoon: Severity.default('low'),
      overMaxLifetime: Severity.default('medium'),
      noExpiry: perCredentialType(Severity, { default: 'high' }).describe(
        'Per credential type: a secret that never expires is worse than an SSH deploy key that never does',
      ),
    })
    .prefault({})
    .describe('Severity of each problem; the finding takes the worst'),
};
type CredentialHygienePolicy = z.output<RulePolicySchema<typeof SETTINGS>>;

type Problem = 'expired' | 'expiring-soon' | 'no-expiry' | 'over-max-lifetime';

interface Found {
  problem: Problem;
  severity: Severity;
  phrase: string;
}

/** What is wrong with one credential at `asOf` (empty when nothing is). */
export function credentialProblems(
  c: Credential,
  policy: CredentialHygienePolicy,
  asOf: Date,
): { found: Found[]; facts: Record<string, Json> } {
  const now = asOf.getTime();
  const sev = policy.problemSeverity;
  const maxDays = policy.maxLifetimeDays[c.credentialType] ?? policy.maxLifetimeDays.default;
  const found: Found[] = [];
  const facts: Record<string, Json> = {
    maxLifetimeDays: maxDays,
    expiringWithinDays: policy.expiringWithinDays,
  };

  if (c.expiresAt === null) {
    found.push({
      problem: 'no-expiry',
      severity: sev.noExpiry[c.credentialType] ?? sev.noExpiry.default,
      phrase: 'never expires',
    });
  } else {
    const expires = Date.parse(c.expiresAt);
    if (expires < now) {
      const ago = wholeDays(expires, now);
      facts.daysSinceExpiry = ago;
      found.push({ problem: 'expired', severity: sev.expired, phrase: `expired ${dayCount(ago)} ago` });
    } else {
      const left = wholeDays(now, expires);
      facts.daysToExpiry = left;
      if (expires - now <= policy.expiringWithinDays * DAY_MS) {
        found.push({
          problem: 'expiring-soon',
          severity: sev.expiringSoon,
          phrase: `expires in ${dayCount(left)}`,
        });
      }
    }
    if (c.createdAt !== null) {
      const lifetime = expires - Date.parse(c.createdAt);
      const days = Math.round((lifetime / DAY_MS) * 10) / 10;
      facts.lifetimeDays = days;
      if (lifetime > maxDays * DAY_MS) {
        found.push({
          problem: 'over-max-lifetime',
          severity: sev.overMaxLifetime,
          phrase: `is valid for ${days} days (policy maximum ${maxDays})`,
        });
      }
    }
  }
  return { found, facts };
}

/**
 * The first instant after `asOf` at which `credentialProblems` of `c` may say something else: it expires,
 * it enters the warning window, or (while it has a problem) its day count to or since expiry ticks.
 */
export function credentialValidUntil(c: Credential, policy: CredentialHygienePolicy, asOf: Date): number {
  if (c.expiresAt === null) return Number.POSITIVE_INFINITY;
  const now = asOf.getTime();
  const expires = Date.parse(c.expiresAt);
  if (expires < now) return nextDayAfter(expires, now);
  const warnFrom = expires - policy.expiringWithinDays * DAY_MS;
  if (credentialProblems(c, policy, asOf).found.length === 0) return warnFrom;
  // Expired from expires + 1; the day count to expiry ticks no later than that.
  return Math.min(now < warnFrom ? warnFrom : Number.POSITIVE_INFINITY, nextDayUntil(expires, now));
}

function remediationFor(
  credential: string,
  problems: readonly Problem[],
  maxDays: number,
  where: string,
): string {
  if (problems.includes('expired')) {
    return `Delete the expired ${credential} ${where}; nothing can use it any more.`;
  }
  return (
    `Create a replacement valid for at most ${maxDays} days (or move to a federated credential), switch its ` +
    `users over, then delete this ${credential} ${where}.`
  );
}

/** One finding per credential that is expired, expiring soon, never expires, or lives too long. */
export const credentialHygiene = defineRule({
  id: 'credential-hygiene',
  description: 'Credentials that expired, expire soon, never expire or live longer than their type allows.',
  findingType: 'long-lived-credential',
  needsDiff: false,
  settings: SETTINGS,
  validUntil(bundle, { policy, asOf }) {
    let until = Number.POSITIVE_INFINITY;
    for (const c of bundle.credentials) until = Math.min(until, credentialValidUntil(c, policy, asOf));
    return until;
  },
  evaluate(bundle, { policy, asOf, vocabulary }) {
    const out: RuleResult[] = [];
    const who = bundleIdentity(bundle);
    for (const c of bundle.credentials) {
      const { found, facts } = credentialProblems(c, policy, asOf);
      if (found.length === 0) continue;
      const worst = found.reduce((a, b) => (SEVERITY_ORDER[b.severity] > SEVERITY_ORDER[a.severity] ? b : a));
      const maxDays = policy.maxLifetimeDays[c.credentialType] ?? policy.maxLifetimeDays.default;
      const credential = describeCredential(c, vocabulary);
      out.push({
        severity: worst.severity,
        subject: `${c.credentialType}:${c.nativeId}`,
        title: `${capitalise(credential)} of ${identityLabel(who, vocabulary)} ${found.map((f) => f.phrase).join(' and ')}`,
        evidence: {
          credentialType: c.credentialType,
          credentialId: c.nativeId,
          displayName: c.displayName,
          createdAt: c.createdAt,
          expiresAt: c.expiresAt,
          enabled: c.enabled,
          // No `asOf`: the finding's last-seen time says when (stale.ts says why).
          problems: found.map((f) => ({ problem: f.problem, severity: f.severity })),
          ...facts,
        },
        remediation: remediationFor(
          credential,
          found.map((f) => f.problem),
          maxDays,
          whereToManage(who),
        ),
      });
    }
    return out;
  },
});
