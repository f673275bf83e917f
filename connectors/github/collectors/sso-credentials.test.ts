import { describe, expect, it } from 'vitest';
import type { CredentialAuthorization } from '../schema.js';
import { ssoCredentialRecords } from './sso-credentials.js';

const scope = { org: 'acme', tenant: { id: 'acme', name: 'acme' }, web: 'https://github.com', members: null };

describe('sso-credentials records', () => {
  it('makes an identity, one grant per OAuth scope and the credential, and keeps no token suffix', () => {
    const auth: CredentialAuthorization = {
      login: 'erin',
      credential_id: 61001,
      credential_type: 'OAuth app token',
      token_last_eight: '3f9a7c21',
      credential_authorized_at: '2024-01-01T00:00:00Z',
      credential_accessed_at: null,
      authorized_credential_id: null,
      authorized_credential_note: 'CI',
      scopes: ['repo', 'read:org'],
    };
    const records = [...ssoCredentialRecords([auth], scope)];
    expect(records.map((r) => r.type)).toEqual(['identity', 'grant', 'grant', 'credential']);
    expect(records[0]).toMatchObject({
      displayName: 'OAuth app token of erin (CI)',
      origin: 'third-party',
      owners: [{ id: 'erin', active: null }],
      ownersKnown: false,
    });
    expect(records[1]).toMatchObject({
      permission: { id: 'repo' },
      risk: { tier: 'critical' },
      target: { breadth: 'user' },
    });
    // Without an authorized credential id, the credential is named by the authorization's.
    expect(records[3]).toMatchObject({ credentialType: 'oauth-token', nativeId: '61001', displayName: 'CI' });
    expect(JSON.stringify(records)).not.toMatch(/3f9a7c21|last_eight/);
  });
});
