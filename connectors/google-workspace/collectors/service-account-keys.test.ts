import { describe, expect, it } from 'vitest';
import { serviceAccountInfo } from '../records.js';
import type { ServiceAccountKey } from '../schema.js';
import { keyRecords, withoutKeyMaterial } from './service-account-keys.js';

const tenant = { id: 'C03acme7x', name: 'acme.example' };
const sa = serviceAccountInfo({ projectId: 'p', email: 'ci@p.iam.gserviceaccount.com', uniqueId: '1' });
const name = (id: string) => `projects/p/serviceAccounts/${sa.email}/keys/${id}`;

describe('service-account key records', () => {
  it('one credential per key; a 9999-12-31 expiry is none; an exposed key says so', () => {
    const keys: ServiceAccountKey[] = [
      {
        name: name('a'),
        validAfterTime: '2026-01-01T00:00:00Z',
        validBeforeTime: '9999-12-31T23:59:59Z',
        extendedStatus: [{ key: 'SERVICE_ACCOUNT_KEY_EXPOSED', value: 'https://github.example/leak' }],
      },
      { name: name('b'), validBeforeTime: '2027-01-01T00:00:00Z', disabled: true },
    ];
    const records = keyRecords(tenant, [sa], new Map([[sa.email, keys]]));
    expect(
      records.map((r) => [r.nativeId, r.displayName, r.expiresAt, r.enabled, r.attributes?.exposed]),
    ).toEqual([
      [name('a'), 'a', null, true, true],
      [name('b'), 'b', '2027-01-01T00:00:00Z', false, false],
    ]);
    expect(records[0]).toMatchObject({
      identity: { kind: 'service-account', nativeId: sa.email },
      credentialType: 'service-account-key',
      createdAt: '2026-01-01T00:00:00Z',
      lastUsed: null,
    });
  });

  it('never keeps key material, should an API answer carry it', () => {
    const withSecret = {
      name: name('a'),
      privateKeyData: 'LS0tLS1CRUdJTi...',
      privateKeyType: 'TYPE_GOOGLE_CREDENTIALS_FILE',
      publicKeyData: 'LS0t...',
    } as ServiceAccountKey;
    expect(withoutKeyMaterial(withSecret)).toEqual({ name: name('a') });
  });
});
