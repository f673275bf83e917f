import { describe, expect, it } from 'vitest';
import { bundle, credential, grant, identity, owner } from '../../test/support/records.js';
import { AS_OF, findingsOf, policyWith } from '../../test/support/rules.js';
import { parseGovernance } from '../governance/load.js';
import type { Governance } from '../governance/model.js';
import { collectPeople } from '../governance/people.js';
import { credentialHygiene } from './credential-hygiene.js';
import { invalidException } from './invalid-exception.js';
import { overPrivileged } from './over-privileged.js';
import { ownerless } from './ownerless.js';
import { retiredStillPresent } from './retired-still-present.js';
import { unapproved, unapprovedScope } from './unapproved-scope.js';

const gov = (body: string): Governance =>
  parseGovernance([{ file: 'governance.yaml', text: `version: 1\n${body}` }]);

// The default test identity: GitHub App installation 1001 "Acme CI" by "Acme Tools Inc", owner alice.
const contentsRead = grant();
const contentsWrite = grant({ access: 'write', risk: { tier: 'high', reason: 'write source', source: 't' } });
const issuesRead = grant({
  permission: { id: 'issues', name: 'issues', access: 'read' },
  risk: { tier: 'low' },
});
const onAll = grant({ target: { breadth: 'all', type: 'repository' } });

const APPROVAL = `approvals:
  - match: { platform: github, id: "1001" }
    permissions: [{ name: contents, access: read }, issues]
    breadth: selected
    approver: Alice Chen
    reference: CHG-1
    date: 2026-01-10
`;

describe('unapproved-scope', () => {
  it('approved grants give no finding; the findings carry the approval', async () => {
    const g = gov(APPROVAL);
    expect(
      await findingsOf(unapprovedScope, [bundle(identity(), [contentsRead, issuesRead])], { governance: g }),
    ).toEqual([]);
    const [f] = await findingsOf(
      overPrivileged,
      [bundle(identity(), [grant({ risk: { tier: 'critical' } })])],
      {
        governance: g,
      },
    );
    expect(f!.approval).toEqual({
      approver: 'Alice Chen',
      reference: 'CHG-1',
      date: '2026-01-10',
      source: { file: 'governance.yaml', line: 3 },
    });
  });

  it('a permission beyond the approval, a higher access level, or a broader target is a finding, on a first scan', async () => {
    const g = gov(APPROVAL);
    const admin = grant({
      permission: { id: 'administration', name: 'administration', access: 'write' },
      risk: { tier: 'critical' },
    });
    const found = await findingsOf(unapprovedScope, [bundle(identity(), [contentsWrite, admin, onAll])], {
      governance: g,
      diff: null,
    });
    expect(found.map((f) => [f.subject, f.severity, f.title]).sort()).toEqual([
      [
        'breadth:contents:all',
        'medium',
        '"Acme CI" (GitHub App installation) reaches all with contents; approved up to selected',
      ],
      [
        'permission:administration:write',
        'high',
        '"Acme CI" (GitHub App installation) holds administration (write), which its approval does not cover',
      ],
      [
        'permission:contents:write',
        'high',
        '"Acme CI" (GitHub App installation) holds contents at write; approved up to read',
      ],
    ]);
    expect(found[0]!.frameworks.owaspNhi).toContain('NHI3');
  });

  it('credential types and lifetimes beyond the approval are findings; within it they are not', async () => {
    const g = gov(`approvals:
  - match: { platform: microsoft365, kind: service-principal, name: "deploy*" }
    credentialTypes: [certificate]
    maxCredentialLifetimeDays: 90
    approver: Bob
    date: 2026-01-01
`);
    const sp = identity({
      platform: 'microsoft365',
      tenant: { id: 'tenant-1' },
      kind: 'service-principal',
      nativeId: 'sp-1',
      displayName: 'deploy-app',
    });
    const cert = credential({
      credentialType: 'certificate',
      createdAt: '2026-10-01T00:00:00Z',
      expiresAt: '2026-12-01T00:00:00Z',
    });
    expect(await findingsOf(unapprovedScope, [bundle(sp, [], [cert])], { governance: g })).toEqual([]);
    const secret = credential({ nativeId: 'key-2', expiresAt: null });
    const found = await findingsOf(unapprovedScope, [bundle(sp, [], [secret])], { governance: g });
    expect(found.map((f) => f.subject).sort()).toEqual([
      'credential:key-2:lifetime',
      'credential:key-2:type',
    ]);
    expect(found.find((f) => f.subject === 'credential:key-2:lifetime')!.title).toContain('never expires');
  });

  it('identities without an approval are not judged by unapproved-scope', async () => {
    expect(
      await findingsOf(unapprovedScope, [bundle(identity({ nativeId: '2002' }), [contentsWrite], [])], {
        governance: gov(APPROVAL),
      }),
    ).toEqual([]);
  });
});

describe('unapproved', () => {
  it('is off by default; switched on, it flags identities without approval and not approved ones', async () => {
    const g = gov(APPROVAL);
    const other = identity({ nativeId: '2002', displayName: 'Other' });
    expect(await findingsOf(unapproved, [bundle(other)], { governance: g })).toEqual([]);
    const policy = policyWith({ unapproved: { enabled: true, severity: 'high' } });
    const found = await findingsOf(
      unapproved,
      [
        bundle(identity()),
        bundle(other, [], [], {
          platform: 'github',
          tenant: 'acme',
          kind: 'github-app-installation',
          nativeId: '2002',
        }),
      ],
      {
        governance: g,
        policy,
      },
    );
    expect(found.map((f) => [f.identity.id, f.severity, f.title])).toEqual([
      ['2002', 'high', '"Other" (GitHub App installation) has no recorded approval'],
    ]);
  });
});

describe('retired-still-present', () => {
  const g = gov(`retired:
  - match: { publisher: acme tools inc }
    name: Acme Tools
    date: 2026-10-01
    reference: OFF-7
`);
  it('is critical for a retired vendor still installed, naming the object and where to remove it', async () => {
    const [f, ...rest] = await findingsOf(retiredStillPresent, [bundle(identity(), [contentsRead])], {
      governance: g,
    });
    expect(rest).toEqual([]);
    expect(f).toMatchObject({
      severity: 'critical',
      title:
        '"Acme CI" (GitHub App installation) of retired Acme Tools (offboarded 2026-10-01) is still present: the identity, 1 grant',
      evidence: {
        object: { platform: 'github', kind: 'github-app-installation', id: '1001' },
        manageUrl: 'https://github.example/organizations/acme/settings/installations/1001',
        retired: { name: 'Acme Tools', reference: 'OFF-7' },
      },
    });
    expect(f!.remediation).toContain(
      'at https://github.example/organizations/acme/settings/installations/1001',
    );
    expect(f!.frameworks.owaspNhi).toEqual(['NHI1']);
  });

  it('finds nothing once the vendor is removed, or for another vendor', async () => {
    expect(await findingsOf(retiredStillPresent, [], { governance: g })).toEqual([]);
    const other = identity({ publisher: { name: 'Someone Else', id: null, verified: null } });
    expect(await findingsOf(retiredStillPresent, [bundle(other, [contentsRead])], { governance: g })).toEqual(
      [],
    );
  });
});

describe('ownerless with registered owners', () => {
  const g = gov(`owners:
  - match: { platform: github, id: "1001" }
    person: Frank Weber
    team: Deploy
    accounts: [{ platform: github, id: frank }]
`);
  const noOwner = identity({ owners: [] });

  it('a registered owner still here makes the identity owned; the finding of another rule names them', async () => {
    const people = await collectPeople(
      [bundle(identity({ nativeId: '9', owners: [owner('frank', true)] }))],
      g.owners[0]!.accounts,
    );
    expect(await findingsOf(ownerless, [bundle(noOwner)], { governance: g, people })).toEqual([]);
    const [f] = await findingsOf(overPrivileged, [bundle(noOwner, [grant({ risk: { tier: 'critical' } })])], {
      governance: g,
      people,
    });
    expect(f!.owner).toEqual({
      registered: [
        {
          person: 'Frank Weber',
          team: 'Deploy',
          contact: null,
          active: true,
          source: { file: 'governance.yaml', line: 3 },
        },
      ],
      inPlatform: [],
    });
  });

  it('a registered owner who left (per the platform) stays listed, but the identity is ownerless', async () => {
    const people = await collectPeople(
      [bundle(identity({ nativeId: '9', owners: [owner('Frank', false)] }))],
      g.owners[0]!.accounts,
    );
    // Even where the platform's own owner list would exempt it (owners not known), the departure counts.
    const [f] = await findingsOf(ownerless, [bundle(identity({ owners: [], ownersKnown: false }))], {
      governance: g,
      people,
    });
    expect(f!.title).toBe(
      '"Acme CI" (GitHub App installation) has no active owner: its registered owner Frank Weber has left',
    );
    expect(f!.evidence.registeredOwners).toEqual([
      { person: 'Frank Weber', team: 'Deploy', active: false, source: 'governance.yaml:3' },
    ]);
    expect(f!.owner?.registered[0]?.active).toBe(false);
  });

  it('a person removed on one platform but active on another has not left', async () => {
    const two = gov(`owners:
  - match: { platform: github, id: "1001" }
    person: Frank Weber
    accounts: [{ platform: github, id: frank }, { platform: microsoft365, id: frank@acme.example }]
`);
    const people = await collectPeople(
      [
        bundle(identity({ nativeId: '9', owners: [owner('frank', false)] })),
        bundle(
          identity({
            platform: 'microsoft365',
            kind: 'service-principal',
            nativeId: 'sp',
            owners: [{ id: 'oid', name: 'frank@acme.example', type: 'user', active: true }],
          }),
        ),
      ],
      two.owners[0]!.accounts,
    );
    expect(
      await findingsOf(ownerless, [bundle(identity({ owners: [] }))], { governance: two, people }),
    ).toEqual([]);
  });

  it('with no registered and no active in-platform owner it is ownerless; unknown status is given the benefit', async () => {
    expect((await findingsOf(ownerless, [bundle(noOwner)], { governance: gov('') }))[0]!.title).toBe(
      '"Acme CI" (GitHub App installation) has no owner',
    );
    // Nobody in the snapshot says whether frank left: the registered owner counts.
    expect(await findingsOf(ownerless, [bundle(noOwner)], { governance: g })).toEqual([]);
  });
});

describe('exceptions', () => {
  const critical = grant({
    permission: { id: 'administration', name: 'administration', access: 'write' },
    risk: { tier: 'critical' },
    grantedAt: '2026-03-01T00:00:00Z',
  });
  const exceptionBy = (expires: string, granted = '2026-11-01', extra = '') =>
    gov(`exceptions:
  - rule: over-privileged
    match: { platform: github, id: "1001" }
    reason: Needed for the migration
    approver: Alice Chen
    granted: ${granted}
    expires: ${expires}
${extra}`);

  it('a valid exception marks the finding excepted, with who, why and until when', async () => {
    const [f] = await findingsOf(overPrivileged, [bundle(identity(), [critical])], {
      governance: exceptionBy('2026-12-31'),
    });
    expect(f).toMatchObject({
      excepted: true,
      exception: {
        status: 'active',
        approver: 'Alice Chen',
        reason: 'Needed for the migration',
        expires: '2026-12-31',
        source: { line: 3 },
      },
    });
  });

  it('by fingerprint it covers exactly that finding', async () => {
    const [plain] = await findingsOf(overPrivileged, [bundle(identity(), [critical])]);
    const g = gov(`exceptions:
  - fingerprint: ${plain!.fingerprint}
    reason: r
    approver: Alice Chen
    granted: 2026-11-01
    expires: 2026-11-30
`);
    const [f] = await findingsOf(overPrivileged, [bundle(identity(), [critical])], { governance: g });
    expect(f!.excepted).toBe(true);
    const [other] = await findingsOf(
      overPrivileged,
      [
        bundle(identity({ nativeId: '7' }), [
          grant({ ...critical, identity: { kind: 'github-app-installation', nativeId: '7' } }),
        ]),
      ],
      { governance: g },
    );
    expect(other!.excepted).toBeUndefined();
  });

  it('an expired exception brings the finding back and says it expired (the expiry day itself still counts)', async () => {
    const [onDay] = await findingsOf(overPrivileged, [bundle(identity(), [critical])], {
      governance: exceptionBy('2026-11-26'),
    });
    expect(onDay!.excepted).toBe(true);
    const [f] = await findingsOf(overPrivileged, [bundle(identity(), [critical])], {
      governance: exceptionBy('2026-11-25'),
    });
    expect(f).toMatchObject({ excepted: false, exception: { status: 'expired', expires: '2026-11-25' } });
  });

  it('an exception longer than the policy allows hides nothing and is reported; the maximum comes from the policy', async () => {
    const g = exceptionBy('2027-03-01', '2026-11-01');
    const found = await findingsOf(null, [bundle(identity(), [critical])], { governance: g });
    expect(found.find((f) => f.rule === 'over-privileged')).toMatchObject({
      excepted: false,
      exception: { status: 'too-long' },
    });
    const invalid = found.find((f) => f.rule === 'invalid-exception');
    expect(invalid!.title).toBe(
      'Exception for over-privileged on "Acme CI" (GitHub App installation) runs 120 days; the policy allows at most 90: it is not applied',
    );
    const policy = policyWith({ 'invalid-exception': { maxDays: 180 } });
    const longer = await findingsOf(null, [bundle(identity(), [critical])], { governance: g, policy });
    expect(longer.find((f) => f.rule === 'over-privileged')!.excepted).toBe(true);
    expect(longer.filter((f) => f.rule === invalidException.id)).toEqual([]);
  });

  it('an exception without a named approver is refused when the file is read', () => {
    expect(() =>
      gov(
        'exceptions:\n  - { rule: stale, match: { kind: x }, reason: r, granted: 2026-11-01, expires: 2026-12-01 }\n',
      ),
    ).toThrow(/line 3: exceptions\[0\]\.approver/);
  });

  it('never hides a new, wider grant on the same identity', async () => {
    const g = exceptionBy('2026-12-31');
    // A grant made after the exception was granted: the over-privileged finding (which names the identity,
    // not each grant) comes back, marked widened.
    const newer = grant({
      ...critical,
      permission: { id: 'secrets', name: 'secrets', access: 'write' },
      grantedAt: '2026-11-20T00:00:00Z',
    });
    const [f] = await findingsOf(overPrivileged, [bundle(identity(), [critical, newer])], { governance: g });
    expect(f).toMatchObject({ excepted: false, exception: { status: 'widened' } });
    // Grants that widened between a scan taken after the exception and this one, with no grant date.
    const undated = grant({ ...critical, grantedAt: null });
    const diff = {
      identities: { added: [], removed: [], changed: [] },
      credentials: { added: [], removed: [], renewed: [] },
      scopeExpansions: [
        {
          source: 'github:acme',
          identityKey: 'github-app-installation:1001',
          grant: undated,
          previous: null,
          changes: [{ reason: 'new-grant' }],
        },
      ],
    } as never;
    const [w] = await findingsOf(overPrivileged, [bundle(identity(), [undated])], {
      governance: g,
      diff,
      previousAt: new Date('2026-11-10T00:00:00Z'),
    });
    expect(w!.exception?.status).toBe('widened');
    // The same change seen by a scan before the exception was granted is what the approver accepted.
    const [seen] = await findingsOf(overPrivileged, [bundle(identity(), [undated])], {
      governance: g,
      diff,
      previousAt: new Date('2026-10-10T00:00:00Z'),
    });
    expect(seen!.excepted).toBe(true);
  });

  it('a credential rotated after the exception voids it only for findings about that credential', async () => {
    const onApp = {
      platform: 'github' as const,
      identity: { kind: 'github-app-installation', nativeId: '1001' },
    };
    const rotated = credential({
      ...onApp,
      tenant: identity().tenant,
      nativeId: 'key-new',
      createdAt: '2026-11-20T00:00:00Z',
      expiresAt: null,
    });
    // A rotation grants nothing: the over-privileged exception still holds.
    const [f] = await findingsOf(overPrivileged, [bundle(identity(), [critical], [rotated])], {
      governance: exceptionBy('2026-12-31'),
    });
    expect(f).toMatchObject({ excepted: true, exception: { status: 'active' } });
    // An exception of credential-hygiene by rule + identity covers the credentials the approver saw, not
    // one minted after it was granted.
    const older = credential({ ...onApp, tenant: identity().tenant, nativeId: 'key-old', expiresAt: null });
    const hygiene = gov(`exceptions:
  - rule: credential-hygiene
    match: { platform: github, id: "1001" }
    reason: Vendor cannot rotate before the migration
    approver: Alice Chen
    granted: 2026-11-01
    expires: 2026-12-31
`);
    const found = await findingsOf(credentialHygiene, [bundle(identity(), [critical], [older, rotated])], {
      governance: hygiene,
    });
    const status = Object.fromEntries(found.map((x) => [x.subject, x.exception?.status]));
    expect(status).toEqual({ 'client-secret:key-old': 'active', 'client-secret:key-new': 'widened' });
  });
});

it('AS_OF is the date the exception tests assume', () => {
  expect(AS_OF.toISOString().slice(0, 10)).toBe('2026-11-26');
});
