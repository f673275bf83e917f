import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { type FingerprintParts, findingFingerprint } from './fingerprint.js';

const parts: FingerprintParts = {
  rule: 'credential-hygiene',
  platform: 'microsoft365',
  tenant: 'tenant-1',
  identityKind: 'service-principal',
  identityId: 'sp-1',
  subject: 'client-secret:k1',
};

describe('findingFingerprint', () => {
  it('is the documented hash: sha256 of the versioned JSON array, 32 hex digits', () => {
    const material =
      '["grantscope-finding/v1","credential-hygiene","microsoft365","tenant-1","service-principal","sp-1","client-secret:k1"]';
    expect(findingFingerprint(parts)).toBe(createHash('sha256').update(material).digest('hex').slice(0, 32));
    expect(findingFingerprint(parts)).toMatch(/^[0-9a-f]{32}$/);
  });

  it('changes with every part, and cannot be confused by separators inside values', () => {
    const base = findingFingerprint(parts);
    const variants: FingerprintParts[] = [
      { ...parts, rule: 'stale' },
      { ...parts, platform: 'github' },
      { ...parts, tenant: 'tenant-2' },
      { ...parts, identityKind: 'oauth-client' },
      { ...parts, identityId: 'sp-2' },
      { ...parts, subject: 'client-secret:k2' },
      { ...parts, subject: null },
    ];
    const all = new Set([base, ...variants.map(findingFingerprint)]);
    expect(all.size).toBe(variants.length + 1);
    expect(findingFingerprint({ ...parts, tenant: 'a', identityKind: 'b:c' })).not.toBe(
      findingFingerprint({ ...parts, tenant: 'a:b', identityKind: 'c' }),
    );
  });
});
