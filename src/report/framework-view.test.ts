import { describe, expect, it } from 'vitest';
import type { Finding } from '../findings/finding.js';
import { riskCatalog } from '../risk/catalog.js';
import { AUDIT_FRAMEWORK_IDS, controlKeys, frameworkView } from './framework-view.js';
import type { ReportIdentity } from './report-data.js';

function identity(name: string, over: Partial<ReportIdentity> = {}): ReportIdentity {
  return {
    platform: 'github',
    tenant: 'acme',
    kind: 'github-app-installation',
    nativeId: name,
    name,
    origin: 'third-party',
    publisher: null,
    publisherVerified: null,
    enabled: null,
    createdAt: null,
    lastUsed: null,
    riskTier: 'high',
    manageUrl: null,
    owners: [],
    owned: false,
    approval: null,
    exceptions: [],
    retired: null,
    reviews: [],
    grants: [],
    credentials: [],
    findings: [],
    worstSeverity: null,
    history: [],
    ...over,
  };
}

const overPrivileged: Pick<Finding, 'frameworks'> = {
  frameworks: { owaspNhi: ['NHI5', 'NHI3'], nistCsf: ['PR.AA-05'], other: ['SOC 2 (TSC 2017) CC6.3'] },
};

describe('frameworkView', () => {
  const identities = [
    identity('a', { owned: true, approval: { approver: 'x', reference: null, date: '2026-01-01' } }),
    identity('b'),
  ];

  it('has one section per catalog control of each framework, in catalog order', () => {
    const view = frameworkView(identities, [], [], 7);
    expect(view.map((f) => f.id)).toEqual([...AUDIT_FRAMEWORK_IDS]);
    const catalog = riskCatalog();
    expect(view[0]!.controls.map((c) => c.id)).toEqual(catalog.owaspNhi.map((o) => o.id));
    expect(view[3]!.controls.map((c) => c.id)).toEqual(
      catalog.frameworks.filter((f) => f.framework === 'SOC 2 (TSC 2017)').map((f) => f.id),
    );
  });

  it('lists a finding under the controls it is tagged with, and its identity no longer as passing', () => {
    const [owasp, nist, , soc2] = frameworkView(identities, [overPrivileged], [1], 7);
    const nhi5 = owasp!.controls.find((c) => c.id === 'NHI5')!;
    expect(nhi5.failing).toEqual([0]);
    expect(nhi5.evidence.at(-1)).toEqual({
      text: '1 of 2 identities have no finding that fails this control.',
      identities: [0],
    });
    expect(owasp!.controls.find((c) => c.id === 'NHI1')!.failing).toEqual([]);
    expect(nist!.controls.find((c) => c.id === 'PR.AA-05')!.failing).toEqual([0]);
    expect(soc2!.controls.find((c) => c.id === 'CC6.3')!.failing).toEqual([0]);
    expect(soc2!.controls.find((c) => c.id === 'CC6.1')!.failing).toEqual([]);
  });

  it('gives owners and approvals as evidence for the controls of those finding types', () => {
    const [owasp] = frameworkView(identities, [], [], 7, 'owasp-nhi');
    const nhi1 = owasp!.controls.find((c) => c.id === 'NHI1')!; // stale, ownerless
    expect(nhi1.evidence.map((e) => e.text)).toContain(
      '1 of 2 identities have an active owner (registered in the governance file or recorded by the platform).',
    );
    const nhi3 = owasp!.controls.find((c) => c.id === 'NHI3')!; // new-unapproved-grant, …
    expect(nhi3.evidence[0]).toEqual({
      text: '1 of 2 identities have a recorded approval.',
      identities: [0],
    });
  });

  it('--framework keeps one framework', () => {
    expect(frameworkView(identities, [], [], 7, 'cis-v8').map((f) => f.id)).toEqual(['cis-v8']);
  });
});

describe('controlKeys', () => {
  it('names the controls of every audit framework a finding is tagged with', () => {
    expect(controlKeys(overPrivileged)).toEqual([
      'owasp-nhi:NHI3',
      'owasp-nhi:NHI5',
      'nist-csf:PR.AA-05',
      'soc2:CC6.3',
    ]);
  });
});
