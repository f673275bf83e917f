import { governanceIndex, matchTarget } from '../governance/view.js';
import type { Json } from '../model/index.js';
import { bundleIdentity } from './bundle-facts.js';
import { cappedList, grantEvidence } from './evidence.js';
import { defineRule } from './rule.js';
import { describeCredential, identityLabel, whereToManage } from './wording.js';

/**
 * Anything of a vendor or integration the governance file says was offboarded (`retired`) that is still
 * present: the installation, service principal or client, its grants, credentials and delegations.
 * Critical: an offboarded partner keeps its access until someone removes it (OWASP NHI1, improper
 * offboarding). Names the exact object and where to remove it.
 */
export const retiredStillPresent = defineRule({
  id: 'retired-still-present',
  description:
    'Identities of vendors or integrations the governance file marks retired that are still present.',
  findingType: 'stale',
  frameworks: {
    owaspNhi: ['NHI1'],
    nistCsf: ['GV.SC-10', 'PR.AA-01', 'ID.AM-08'],
    other: ['CIS Controls v8 5.3', 'SOC 2 (TSC 2017) CC6.2', 'SOC 2 (TSC 2017) CC9.2'],
  },
  needsDiff: false,
  quietWhenUnchanged: true,
  settings: {},
  evaluate(bundle, { vocabulary, governance }) {
    if (governance.retired.length === 0) return [];
    const retired = governanceIndex(governance).retired.find(matchTarget(bundle))[0];
    if (!retired) return [];
    const who = bundleIdentity(bundle);
    const what = [
      bundle.identity ? 'the identity' : null,
      bundle.grants.length > 0
        ? `${bundle.grants.length} grant${bundle.grants.length === 1 ? '' : 's'}`
        : null,
      bundle.credentials.length > 0
        ? `${bundle.credentials.length} credential${bundle.credentials.length === 1 ? '' : 's'}`
        : null,
    ].filter((x): x is string => x !== null);
    return [
      {
        severity: 'critical',
        subject: null,
        title:
          `${identityLabel(who, vocabulary)} of retired ${retired.name} (offboarded ${retired.date}) ` +
          `is still present: ${what.join(', ')}`,
        evidence: {
          retired: {
            name: retired.name,
            date: retired.date,
            reference: retired.reference ?? null,
            source: `${retired.source.file}:${retired.source.line}`,
          },
          object: {
            platform: who.platform,
            tenant: who.tenant,
            kind: who.kind,
            id: who.nativeId,
            name: who.name,
          },
          manageUrl: who.manageUrl,
          ...cappedList('grants', bundle.grants, grantEvidence),
          ...cappedList(
            'credentials',
            bundle.credentials,
            (c): Json => ({
              id: c.nativeId,
              type: c.credentialType,
              label: describeCredential(c, vocabulary),
            }),
          ),
        },
        remediation:
          `Remove ${identityLabel(who, vocabulary)} (${who.kind} ${who.nativeId}) ${whereToManage(who)}` +
          `${bundle.credentials.length > 0 ? ', with its credentials' : ''}: ${retired.name} was offboarded on ${retired.date}.`,
      },
    ];
  },
});
