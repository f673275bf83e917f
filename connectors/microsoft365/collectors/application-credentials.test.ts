import { describe, expect, it } from 'vitest';
import { Application, ServicePrincipal } from '../schema.js';
import { credentialRecords } from './application-credentials.js';

/** Credential records from the application list: plain data, no HTTP. */
const TENANT = { id: 'f67a73f9-1da3-4124-974d-72e2bc80841b', name: 'Acme' };

const sp = ServicePrincipal.parse({ id: 'hr-sync-sp', appId: 'HR-SYNC-APP', displayName: 'acme-hr-sync' });
const app = (appId: string, credentials: object) =>
  Application.parse({ id: `${appId}-object`, appId, displayName: appId, ...credentials });

describe('application credentials', () => {
  it('records secrets and certificates on the service principal of their app, without secret material', () => {
    const { credentials, notes } = credentialRecords(
      TENANT,
      [
        app('hr-sync-app', {
          passwordCredentials: [
            {
              keyId: 's1',
              displayName: 'powerbi-refresh',
              startDateTime: '2024-05-15T00:00:00Z',
              // Entra's "never expires".
              endDateTime: '2299-12-31T00:00:00Z',
              secretText: 'must-not-be-kept',
              hint: 'mus',
            },
            { keyId: null, displayName: 'no key id' },
          ],
          keyCredentials: [
            {
              keyId: 'c1',
              displayName: 'CN=acme-hr-sync',
              startDateTime: '2025-09-27T00:00:00Z',
              endDateTime: '2026-10-22T00:00:00.0000000Z',
              type: 'AsymmetricX509Cert',
              usage: 'Verify',
              customKeyIdentifier: 'THUMB',
              key: 'MIIC',
            },
          ],
        }),
      ],
      [sp],
    );
    expect(credentials.map((c) => [c.credentialType, c.nativeId, c.expiresAt])).toEqual([
      ['client-secret', 's1', null],
      ['certificate', 'c1', '2026-10-22T00:00:00Z'],
    ]);
    expect(credentials[0]).toMatchObject({
      identity: { kind: 'service-principal', nativeId: 'hr-sync-sp' },
      createdAt: '2024-05-15T00:00:00Z',
      attributes: { appId: 'hr-sync-app', nominalExpiry: '2299-12-31T00:00:00Z' },
      collector: 'application-credentials',
    });
    expect(credentials[1]!.attributes).toMatchObject({ keyType: 'AsymmetricX509Cert', thumbprint: 'THUMB' });
    expect(JSON.stringify(credentials)).not.toMatch(/must-not-be-kept|"hint"|MIIC/);
    expect(notes).toEqual([]);
  });

  it('does not attribute the credentials of an app without a service principal here, and says so', () => {
    const { credentials, notes } = credentialRecords(
      TENANT,
      [app('elsewhere', { passwordCredentials: [{ keyId: 's2' }] })],
      [sp],
    );
    expect(credentials).toEqual([]);
    expect(notes).toEqual([
      '1 app registration(s) without a service principal in this tenant: credentials not attributed',
    ]);
  });
});
