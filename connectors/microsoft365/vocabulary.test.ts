import { describe, expect, it } from 'vitest';
import { demoWorld } from '../../src/package-root.js';
import { scanWorld, termsOf } from '../../test/support/emulated-scan.js';
import microsoft365 from './index.js';
import { vocabulary } from './risk.js';

describe('Microsoft 365 vocabulary', () => {
  it('labels every identity kind and credential type the collectors emit', async () => {
    const seen = termsOf([
      ...(await scanWorld(microsoft365, demoWorld('demo'))),
      ...(await scanWorld(microsoft365, demoWorld('demo-changed'))),
    ]);
    expect(seen.kinds).toEqual(Object.keys(vocabulary.identityKinds).sort());
    expect(seen.credentialTypes).toEqual(Object.keys(vocabulary.credentialTypes).sort());
  });
});
