import { z } from 'zod';
import { matchTarget, ownerDepartures, registeredOwners } from '../governance/view.js';
import type { Grant } from '../model/index.js';
import { bundleIdentity, byRisk, highestTier, tierAtLeast } from './bundle-facts.js';
import { cappedList, grantEvidence } from './evidence.js';
import { defineRule, type RuleResult } from './rule.js';
import { TierThreshold } from './settings.js';
import { identityLabel, whereToManage } from './wording.js';

/**
 * Identities nobody active answers for: no in-platform owner with `active: true` and no registered
 * owner (governance file) who is still with the organisation (vendor first-party apps and kinds without
 * owners exempt unless an owner was registered for them); a registered owner whose platform account says
 * they left stays listed, but no longer counts. And — separately — identities whose delegated grants all act for users who
 * are no longer active (orphaned grants).
 */
export const ownerless = defineRule({
  id: 'ownerless',
  description: 'Identities without an active owner, and delegated grants that act only for inactive users.',
  findingType: 'ownerless',
  needsDiff: false,
  bundleOnly: true,
  settings: {
    // Which kinds have no owner is each connector's to say (its vocabulary's policy defaults).
    excludeKinds: z
      .array(z.string().min(1))
      .default([])
      .describe('Identity kinds that have no notion of an owner'),
    exemptOrigins: z
      .array(z.enum(['third-party', 'internal', 'platform', 'unknown']))
      .default(['platform'])
      .describe('Origins not held to the ownership rule (vendor first-party apps)'),
    elevateAtTier: TierThreshold.default('high').describe(
      'Severity is high (else medium) when the identity holds a grant at this tier or above',
    ),
    orphanedGrants: z
      .boolean()
      .default(true)
      .describe('Also flag identities whose delegated grants all act for inactive users'),
  },
  evaluate(bundle, { policy, vocabulary, governance, people }) {
    const identity = bundle.identity;
    if (!identity) return [];
    const who = bundleIdentity(bundle);
    const severityFor = (grants: readonly Grant[]) =>
      tierAtLeast(highestTier(grants), policy.elevateAtTier) ? ('high' as const) : ('medium' as const);
    const out: RuleResult[] = [];

    const registered = registeredOwners(governance, people, matchTarget(bundle));
    // A registered owner counts unless their account says they left (unknown is given the benefit).
    const registeredHere = registered.filter((o) => o.active !== false);
    const departed = registered.filter((o) => o.active === false);
    const judged =
      departed.length > 0 ||
      (identity.ownersKnown &&
        !policy.exemptOrigins.includes(identity.origin) &&
        !policy.excludeKinds.includes(identity.kind));
    if (judged && registeredHere.length === 0 && !identity.owners.some((o) => o.active === true)) {
      const none = identity.owners.length === 0;
      const gone = departed.map((o) => o.person);
      out.push({
        severity: severityFor(bundle.grants),
        subject: null,
        title:
          gone.length > 0
            ? `${identityLabel(who, vocabulary)} has no active owner: its registered owner${gone.length === 1 ? '' : 's'} ${gone.join(', ')} ${gone.length === 1 ? 'has' : 'have'} left`
            : none
              ? `${identityLabel(who, vocabulary)} has no owner`
              : `${identityLabel(who, vocabulary)} has no active owner (${identity.owners.length} listed, none active)`,
        evidence: {
          origin: identity.origin,
          owners: identity.owners.map((o) => ({ id: o.id, name: o.name, type: o.type, active: o.active })),
          ...(registered.length > 0 && {
            registeredOwners: registered.map((o) => ({
              person: o.person,
              team: o.team,
              active: o.active,
              source: `${o.source.file}:${o.source.line}`,
            })),
          }),
          ...(departed.length > 0 && {
            departures: ownerDepartures(governance, people, matchTarget(bundle)),
          }),
          highestTier: highestTier(bundle.grants),
          elevateAtTier: policy.elevateAtTier,
          grantCount: bundle.grants.length,
        },
        remediation:
          `Assign an accountable owner who is still with the organisation ${whereToManage(who)} ` +
          '(or register one in the governance file), or remove the identity if nobody needs it.',
      });
    }

    if (policy.orphanedGrants && !policy.excludeKinds.includes(identity.kind)) {
      const delegated = bundle.grants.filter((g) => g.principal !== null);
      if (delegated.length > 0 && delegated.every((g) => g.principal!.active === false)) {
        const users = new Set(delegated.map((g) => g.principal!.id));
        out.push({
          severity: severityFor(delegated),
          subject: 'orphaned-grants',
          title:
            `${identityLabel(who, vocabulary)} acts only for inactive users ` +
            `(${delegated.length} delegated grant${delegated.length === 1 ? '' : 's'}, ${users.size} user${users.size === 1 ? '' : 's'})`,
          evidence: {
            inactiveUsers: [...users].sort().slice(0, 50),
            inactiveUserCount: users.size,
            ...cappedList('grants', byRisk(delegated), grantEvidence),
          },
          remediation: `Revoke the delegated grants of users who have left ${whereToManage(who)}; they no longer serve anyone.`,
        });
      }
    }
    return out;
  },
});
