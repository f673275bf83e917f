import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeClientConfig } from '../src/demo/client-config.js';
import { type RunningEmulator, startEmulator } from '../src/emulator/server.js';
import { demoWorld } from '../src/package-root.js';
import { runCli, tempDir } from './support/cli.js';

interface FindingJson {
  rule: string;
  identity: { kind: string; id: string };
  subject: string | null;
  title: string;
  evidence: Record<string, unknown>;
  owner?: { registered: Array<{ person: string; active: boolean | null }> };
}

/**
 * Registered owners who left, told by the platforms' own people (person records): the built CLI scans
 * the demo world on the emulator with a governance file whose owners left in each platform's own way.
 * Each owner registered here appears nowhere else in the snapshot except where said.
 */
const GOVERNANCE = `version: 1
owners:
  # GitHub: zoe is not a member of acme-corp (missing from the complete member list).
  - match: { platform: github, kind: github-app-installation, id: "71005" }
    person: Zoe Former
    accounts: [{ platform: github, id: zoe }]
  # GitHub: bob is a member.
  - match: { platform: github, kind: deploy-key, id: "acme-corp/docs#103" }
    person: Bob Martins
    accounts: [{ platform: github, id: bob }]
  # Google: Greta is suspended.
  - match: { platform: google-workspace, kind: service-account, id: old-cron@acme-legacy.iam.gserviceaccount.com }
    person: Greta Lind
    accounts: [{ platform: google-workspace, id: greta.lind@acme.example }]
  # Google: no such user any more (deleted: missing from the complete users list).
  - match: { platform: google-workspace, kind: domain-wide-delegation, id: "108273645190283746510" }
    person: Gone User
    accounts: [{ platform: google-workspace, id: gone.user@acme.example }]
  # Google: Ana is active.
  - match: { platform: google-workspace, kind: oauth-client, id: 672819304561-lcrm7c0nn3ct0r5q9w2e6r0t4y8u1i5o.apps.googleusercontent.com }
    person: Ana Silva
    accounts: [{ platform: google-workspace, id: ana.silva@acme.example }]
  # Entra: Raj's account is disabled (accountEnabled false).
  - match: { platform: microsoft365, kind: service-principal, id: d2886bdc-2642-4fbb-afba-f9201d4e6c4b }
    person: Raj Patel
    accounts: [{ platform: microsoft365, id: raj.patel@acme.example }]
  # Entra: a deleted user (a consent of theirs is still on record: the scan read them as deleted).
  - match: { platform: microsoft365, kind: service-principal, id: 0c4be1ae-8404-433c-a891-4221dd79d5a4 }
    person: Deleted Person
    accounts: [{ platform: microsoft365, id: e9302986-547b-42a0-a119-fa2c1be1e007 }]
  # Entra: Priya is enabled.
  - match: { platform: microsoft365, kind: service-principal, id: 0965e9aa-86c7-4967-8880-b74c3708d722 }
    person: Priya Raman
    accounts: [{ platform: microsoft365, id: priya.raman@acme.example }]
  # Entra: the scan does not list every Entra user: someone it never saw is unknown, never "left".
  - match: { platform: microsoft365, kind: service-principal, id: 71b97e0f-7274-40ae-8fb7-dd6699dd8795 }
    person: Nobody Seen
    accounts: [{ platform: microsoft365, id: nobody@acme.example }]
`;

describe('registered owners who left, from the platforms’ people', () => {
  let emu: RunningEmulator;
  const dir = tempDir('gs-people-');
  let findings: FindingJson[];
  let config: string;
  let governance: string;
  const ownerless = (kind: string, id: string) =>
    findings.find(
      (f) => f.rule === 'ownerless' && f.subject === null && f.identity.kind === kind && f.identity.id === id,
    );

  beforeAll(async () => {
    emu = await startEmulator({ world: demoWorld('demo') });
    config = writeClientConfig(emu, dir).configFile;
    governance = join(dir, 'governance.yaml');
    writeFileSync(governance, GOVERNANCE);
    const scan = await runCli(['scan', '-c', config, '--governance', governance, '--format', 'json'], {
      cwd: dir,
    });
    expect(scan.stderr).toBe('');
    expect(scan.code).toBe(0);
    findings = JSON.parse(scan.stdout).findings;
    expect(findings.length).toBeGreaterThan(0);
  }, 120_000);
  afterAll(() => emu.stop());

  it('GitHub: an owner missing from the complete member list has left; a member has not', () => {
    const f = ownerless('github-app-installation', '71005');
    expect(f?.title).toContain('its registered owner Zoe Former has left');
    expect(f?.owner?.registered).toMatchObject([{ person: 'Zoe Former', active: false }]);
    expect(f?.evidence.departures).toEqual([
      expect.stringMatching(
        /^registered owner Zoe Former: zoe is not among the people of github \(acme-corp\)/,
      ),
    ]);
    expect(ownerless('deploy-key', 'acme-corp/docs#103')).toBeUndefined();
  });

  it('Google Workspace: a suspended user and a deleted one have left; an active one has not', () => {
    const suspended = ownerless('service-account', 'old-cron@acme-legacy.iam.gserviceaccount.com');
    expect(suspended?.evidence.departures).toEqual([
      expect.stringMatching(
        /^registered owner Greta Lind: greta\.lind@acme\.example is suspended in google-workspace/,
      ),
    ]);
    const deleted = ownerless('domain-wide-delegation', '108273645190283746510');
    expect(deleted?.evidence.departures).toEqual([
      expect.stringMatching(/gone\.user@acme\.example is not among the people of google-workspace/),
    ]);
    expect(
      ownerless('oauth-client', '672819304561-lcrm7c0nn3ct0r5q9w2e6r0t4y8u1i5o.apps.googleusercontent.com'),
    ).toBeUndefined();
  });

  it('Entra: a disabled user and a deleted one have left; an enabled one has not; one the scan never saw is unknown', () => {
    const disabled = ownerless('service-principal', 'd2886bdc-2642-4fbb-afba-f9201d4e6c4b');
    expect(disabled?.title).toContain('its registered owner Raj Patel has left');
    const deleted = ownerless('service-principal', '0c4be1ae-8404-433c-a891-4221dd79d5a4');
    expect(deleted?.title).toContain('its registered owner Deleted Person has left');
    expect(ownerless('service-principal', '0965e9aa-86c7-4967-8880-b74c3708d722')).toBeUndefined();
    expect(ownerless('service-principal', '71b97e0f-7274-40ae-8fb7-dd6699dd8795')).toBeUndefined();
  });

  it('the inventory marks the registered owners who left', async () => {
    const r = await runCli(
      ['inventory', '-c', config, '--governance', governance, '--platform', 'github', '--format', 'json'],
      { cwd: dir },
    );
    expect(r.code).toBe(0);
    const rows = JSON.parse(r.stdout) as Array<{
      nativeId?: string;
      governance?: { registeredOwners: Array<{ person: string; active: boolean | null }> };
    }>;
    const of = (id: string) => rows.find((x) => x.nativeId === id)?.governance?.registeredOwners;
    expect(of('71005')).toMatchObject([{ person: 'Zoe Former', active: false }]);
    expect(of('acme-corp/docs#103')).toMatchObject([{ person: 'Bob Martins', active: true }]);
  });

  it('a member list that could not be read leaves the GitHub owner unknown: not ownerless', async () => {
    const partialDir = tempDir('gs-people-partial-');
    const partialConfig = writeClientConfig(emu, partialDir).configFile;
    emu.faults.add({
      service: 'github',
      path: '^/api/v3/orgs/[^/]+/members$',
      action: { kind: 'status', status: 403, body: { message: 'Resource not accessible by integration' } },
    });
    try {
      const scan = await runCli(
        ['scan', '-c', partialConfig, '--governance', governance, '--only', 'github', '--format', 'json'],
        { cwd: partialDir },
      );
      // Incomplete (exit code 3): the members collector failed.
      expect(scan.code).toBe(3);
      const partial = JSON.parse(scan.stdout).findings as FindingJson[];
      const sonar = partial.find(
        (f) => f.rule === 'ownerless' && f.subject === null && f.identity.id === '71005',
      );
      expect(sonar).toBeUndefined();
    } finally {
      emu.faults.clear();
    }
  });
});
