import { describe, expect, it } from 'vitest';
import { bundle, credential, daysBefore, identity } from '../../test/support/records.js';
import { AS_OF, findingsOf, policyWith } from '../../test/support/rules.js';
import { credentialHygiene } from './credential-hygiene.js';

const sp = identity({
  platform: 'microsoft365',
  tenant: { id: 'tenant-1', name: 'contoso.example' },
  kind: 'service-principal',
  nativeId: 'sp-1',
  displayName: 'Payroll Sync',
  manageUrl: 'https://entra.example/sp-1',
  collector: 'service-principals',
});
const inDays = (d: number) => daysBefore(AS_OF, -d);
/** A credential created `ageDays` ago that expires `expiresInDays` from as-of. */
const cred = (ageDays: number, expiresInDays: number | null, type = 'client-secret', nativeId = 'k1') =>
  credential({
    credentialType: type,
    nativeId,
    displayName: null,
    createdAt: daysBefore(AS_OF, ageDays),
    expiresAt: expiresInDays === null ? null : inDays(expiresInDays),
  });
const run = (...creds: ReturnType<typeof credential>[]) =>
  findingsOf(credentialHygiene, [bundle(sp, [], creds)]);

describe('credential-hygiene', () => {
  it('expiring in 31 days is fine; in 29 days it is expiring soon (low)', async () => {
    expect(await run(cred(60, 31))).toEqual([]);
    const [f] = await run(cred(60, 29));
    expect(f).toMatchObject({
      severity: 'low',
      subject: 'client-secret:k1',
      title: 'Client secret k1 of "Payroll Sync" (service principal) expires in 29 days',
    });
    expect(f!.evidence).toMatchObject({
      daysToExpiry: 29,
      expiringWithinDays: 30,
      problems: [{ problem: 'expiring-soon', severity: 'low' }],
    });
  });

  it('a client secret valid for 180 days is fine; 181 days is over the maximum (medium)', async () => {
    expect(await run(cred(10, 170))).toEqual([]);
    const [f] = await run(cred(10, 171));
    expect(f!.severity).toBe('medium');
    expect(f!.title).toBe(
      'Client secret k1 of "Payroll Sync" (service principal) is valid for 181 days (policy maximum 180)',
    );
    expect(f!.evidence).toMatchObject({ lifetimeDays: 181, maxLifetimeDays: 180 });
    expect(f!.remediation).toBe(
      'Create a replacement valid for at most 180 days (or move to a federated credential), switch its users over, ' +
        'then delete this client secret k1 at https://entra.example/sp-1.',
    );
  });

  it('maximum lifetime depends on the type: certificate 365, service-account key 90, others 366', async () => {
    expect(await run(cred(10, 355, 'certificate'))).toEqual([]);
    expect(await run(cred(10, 356, 'certificate'))).toHaveLength(1);
    expect(await run(cred(10, 80, 'service-account-key'))).toEqual([]);
    expect(await run(cred(10, 81, 'service-account-key'))).toHaveLength(1);
    expect(await run(cred(10, 356, 'oauth-token'))).toEqual([]);
    expect(await run(cred(10, 357, 'oauth-token'))).toHaveLength(1);
    const policy = policyWith({ 'credential-hygiene': { maxLifetimeDays: { 'client-secret': 90 } } });
    expect(await findingsOf(credentialHygiene, [bundle(sp, [], [cred(10, 81)])], { policy })).toHaveLength(1);
  });

  it('no expiry: high for a secret, key or token; low for a deploy or SSH key', async () => {
    const [secret] = await run(cred(10, null));
    expect(secret).toMatchObject({
      severity: 'high',
      title: 'Client secret k1 of "Payroll Sync" (service principal) never expires',
    });
    expect((await run(cred(10, null, 'service-account-key')))[0]!.severity).toBe('high');
    expect((await run(cred(10, null, 'pat')))[0]!.severity).toBe('high');
    expect((await run(cred(10, null, 'deploy-key')))[0]!.severity).toBe('low');
    expect((await run(cred(10, null, 'ssh-key')))[0]!.severity).toBe('low');
  });

  it('expired yesterday is medium, with a delete remediation; expiring later today is "expiring soon"', async () => {
    const [f] = await run(cred(100, -1));
    expect(f!.severity).toBe('medium');
    expect(f!.title).toContain('expired 1 day ago');
    expect(f!.remediation).toMatch(/^Delete the expired client secret k1 at https:\/\/entra\.example\/sp-1/);
    const [today] = await run(
      credential({
        nativeId: 'k1',
        createdAt: daysBefore(AS_OF, 5),
        expiresAt: new Date(AS_OF.getTime() + 3_600_000).toISOString(),
      }),
    );
    expect(today!.evidence.problems).toEqual([{ problem: 'expiring-soon', severity: 'low' }]);
  });

  it('several problems: the worst decides the severity, all are listed', async () => {
    const [f] = await run(cred(300, 10));
    expect(f!.severity).toBe('medium');
    expect(f!.evidence.problems).toEqual([
      { problem: 'expiring-soon', severity: 'low' },
      { problem: 'over-max-lifetime', severity: 'medium' },
    ]);
    expect(f!.title).toMatch(/expires in 10 days and is valid for 310 days/);
  });

  it('one finding per credential; problem severities are policy keys', async () => {
    const fs = await run(
      cred(10, null, 'client-secret', 'a'),
      cred(10, 20, 'client-secret', 'b'),
      cred(10, 60, 'client-secret', 'c'),
    );
    expect(fs.map((f) => f.subject)).toEqual(['client-secret:a', 'client-secret:b']);
    const policy = policyWith({
      'credential-hygiene': {
        problemSeverity: { expiringSoon: 'high', noExpiry: { 'deploy-key': 'medium' } },
      },
    });
    const [soon] = await findingsOf(credentialHygiene, [bundle(sp, [], [cred(10, 5)])], { policy });
    expect(soon!.severity).toBe('high');
    const [key] = await findingsOf(credentialHygiene, [bundle(sp, [], [cred(10, null, 'deploy-key')])], {
      policy,
    });
    expect(key!.severity).toBe('medium');
  });
});
