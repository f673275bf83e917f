import { describe, expect, it } from 'vitest';
import { generatedDirectory } from './generated-directory.js';
import { Microsoft365Section } from './schema.js';

describe('generated microsoft365 directory: delegated grants', () => {
  it('never makes two grants of the same client, resource and principal (Entra refuses a second one)', () => {
    const section = Microsoft365Section.parse({
      tenant: {
        id: '5e1f0c2a-7b3d-4e9f-8a61-2c4d6e8f0a1b',
        displayName: 'Contoso',
        defaultDomain: 'contoso.example',
      },
      scanner: { appId: '9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a' },
      generate: { seed: 42, servicePrincipals: 3000, users: 300 },
    });
    const dir = generatedDirectory(section, new Date('2026-01-01T00:00:00Z'));
    const keys = new Set<string>();
    let grants = 0;
    let perUser = 0;
    for (let i = 0; i < dir.oauth2PermissionGrants.slots; i++) {
      const g = dir.oauth2PermissionGrants.at(i);
      if (!g) continue;
      grants += 1;
      if (g.principalId) perUser += 1;
      const key = `${g.clientId}|${g.resourceId}|${g.principalId ?? 'all'}`;
      expect(keys.has(key), key).toBe(false);
      keys.add(key);
    }
    // Both kinds are still generated, in numbers.
    expect(grants).toBeGreaterThan(1000);
    expect(perUser).toBeGreaterThan(300);
  });
});
