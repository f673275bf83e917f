import { z } from 'zod';
import type { Credential, Json } from '../model/index.js';
import { bundleIdentity, highestTier, tierAtLeast } from './bundle-facts.js';
import { NEW_CREDENTIAL_FRAMEWORKS } from './review-frameworks.js';
import { defineRule, type RuleResult } from './rule.js';
import { TierThreshold } from './settings.js';
import { describeCredential, identityLabel, whereToManage } from './wording.js';

function credentialFacts(c: Credential): Record<string, Json> {
  return {
    credentialType: c.credentialType,
    credentialId: c.nativeId,
    displayName: c.displayName,
    createdAt: c.createdAt,
    expiresAt: c.expiresAt,
  };
}

/**
 * A secret, certificate, key or token minted on an identity that existed at the previous scan: the
 * moment a credential starts to sprawl. Not reported:
 * - the credentials of an identity that is itself new (`new-grant` reports the identity);
 * - credentials that are new to grantscope only (a collector or tenant scanned for the first time);
 * - a renewal: a credential that replaced a removed one of the same type, expiring later (see
 *   `pairRenewals`; rotation is good hygiene, and `credential-hygiene` judges the new one's lifetime).
 *   With `renewals: info` a renewal is reported at `info`, for an audit trail of rotations.
 */
export const newCredential = defineRule({
  id: 'new-credential',
  description: 'Secrets, certificates, keys or tokens added to an existing identity since the previous scan.',
  findingType: 'new-credential',
  frameworks: NEW_CREDENTIAL_FRAMEWORKS,
  needsDiff: true,
  quietWhenUnchanged: true,
  settings: {
    renewals: z
      .enum(['ignore', 'info'])
      .default('ignore')
      .describe('A credential that replaced an expiring one (a renewal): not reported, or reported at info'),
    elevateAtTier: TierThreshold.default('high').describe(
      'Severity is high (else medium) when the identity holds a grant at this tier or above',
    ),
  },
  evaluate(bundle, { policy, diff, vocabulary }) {
    if (!diff || diff.addedIdentity(bundle.source, bundle.identityKey)) return [];
    const added = diff.addedCredentialsOf(bundle.source, bundle.identityKey).filter((a) => !a.baseline);
    const renewed =
      policy.renewals === 'info'
        ? diff.renewalsOf(bundle.source, bundle.identityKey).filter((r) => !r.sameKey)
        : [];
    if (added.length === 0 && renewed.length === 0) return [];
    const who = bundleIdentity(bundle);
    const label = identityLabel(who, vocabulary);
    const tier = highestTier(bundle.grants);
    const severity = tierAtLeast(tier, policy.elevateAtTier) ? ('high' as const) : ('medium' as const);
    const others = (c: Credential) =>
      bundle.credentials.filter((x) => x.credentialType === c.credentialType && x.nativeId !== c.nativeId)
        .length;
    const results: RuleResult[] = added.map(({ record: c }) => ({
      severity,
      subject: `${c.credentialType}:${c.nativeId}`,
      title: `New ${describeCredential(c, vocabulary)} on ${label}`,
      evidence: {
        ...credentialFacts(c),
        renewal: false,
        otherCredentialsOfType: others(c),
        highestTier: tier,
      },
      remediation:
        `Confirm who created it and why, and that it is stored in a secret manager; ` +
        `if nobody asked for it, delete it ${whereToManage(who)} and find out how it was made.`,
    }));
    for (const r of renewed) {
      results.push({
        severity: 'info',
        subject: `${r.after.credentialType}:${r.after.nativeId}`,
        title: `${describeCredential(r.after, vocabulary)} on ${label} renewed (replaces ${r.before.nativeId})`,
        evidence: {
          ...credentialFacts(r.after),
          renewal: true,
          replaces: credentialFacts(r.before),
          highestTier: tier,
        },
        remediation:
          'Nothing to do if the rotation was planned; check that the old credential is gone everywhere.',
      });
    }
    return results;
  },
});
