import { describe, expect, it } from 'vitest';
import { loadWorld } from '../../src/emulator/world.js';
import { demoWorld } from '../../src/package-root.js';
import { scanWorld, termsOf } from '../../test/support/emulated-scan.js';
import github from './index.js';
import { vocabulary } from './risk.js';

/** The demo organisation, plus SSO-authorised OAuth app and GitHub App tokens (the demo has neither). */
function everyCredentialKind() {
  const world = structuredClone(loadWorld(demoWorld('demo')));
  const section = world.platforms.github as { credential_authorizations: unknown[] };
  section.credential_authorizations.push(
    ...(['OAuth app token', 'GitHub app token'] as const).map((type, i) => ({
      credential_id: 61901 + i,
      login: 'erin',
      credential_type: type,
      credential_authorized_at: '2026-01-01T00:00:00Z',
      authorized_credential_id: 66901 + i,
      scopes: ['read:org'],
    })),
  );
  return world;
}

describe('GitHub vocabulary', () => {
  it('labels every identity kind and credential type the collectors emit', async () => {
    const seen = termsOf([
      ...(await scanWorld(github, everyCredentialKind())),
      ...(await scanWorld(github, demoWorld('demo-changed'))),
    ]);
    expect(seen.kinds).toEqual(Object.keys(vocabulary.identityKinds).sort());
    expect(seen.credentialTypes.filter((t) => !(t in vocabulary.credentialTypes))).toEqual([]);
    // GitHub never reveals webhook secrets, so no collector emits one; the type keeps its label and its
    // low no-expiry severity for policies and plugins that name it.
    expect(Object.keys(vocabulary.credentialTypes).filter((t) => !seen.credentialTypes.includes(t))).toEqual([
      'webhook-secret',
    ]);
  });
});
