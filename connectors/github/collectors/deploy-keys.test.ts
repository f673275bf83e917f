import { describe, expect, it } from 'vitest';
import type { DeployKey, MinimalRepository } from '../schema.js';
import { deployKeyRecords } from './deploy-keys.js';
import { MemberDirectory } from './members.js';

const repo: MinimalRepository = {
  id: 1,
  name: 'infra',
  full_name: 'acme/infra',
  private: true,
  owner: { login: 'acme', id: 1 },
};
const key = (id: number, extra: Partial<DeployKey>): DeployKey => ({
  id,
  key: 'ssh-ed25519 AAAA',
  title: `key ${id}`,
  verified: true,
  created_at: '2024-01-01T00:00:00Z',
  read_only: true,
  ...extra,
});
const scope = (members: MemberDirectory | null) => ({
  org: 'acme',
  tenant: { id: 'acme', name: 'acme' },
  web: 'https://github.com',
  members,
});

describe('deploy-keys records', () => {
  it('makes an identity, a grant on the repository and a never-expiring credential per key', () => {
    const dir = new MemberDirectory();
    dir.complete = true;
    const records = [
      ...deployKeyRecords(
        [{ repo, keys: [key(101, { read_only: false, added_by: 'frank', last_used: null })] }],
        scope(dir),
      ),
    ];
    expect(records.map((r) => r.type)).toEqual(['identity', 'grant', 'credential']);
    expect(records[0]).toMatchObject({
      nativeId: 'acme/infra#101',
      owners: [{ id: 'frank', active: false }],
      ownersKnown: true,
      lastUsed: { at: null, source: 'github:deploy_key.last_used' },
      manageUrl: 'https://github.com/acme/infra/settings/keys',
    });
    expect(records[1]).toMatchObject({
      permission: { access: 'write' },
      target: { breadth: 'resource', id: 'acme/infra' },
      grantedBy: { id: 'frank', active: false },
      risk: { tier: 'critical' },
    });
    expect(records[2]).toMatchObject({ credentialType: 'deploy-key', nativeId: '101', expiresAt: null });
  });

  it('leaves the creator unknown without a member list, and a key with no recorded creator ownerless', () => {
    const [withCreator, , , without] = [
      ...deployKeyRecords([{ repo, keys: [key(1, { added_by: 'bob' }), key(2, {})] }], scope(null)),
    ];
    expect(withCreator).toMatchObject({ owners: [{ id: 'bob', active: null }], ownersKnown: false });
    expect(without).toMatchObject({ owners: [], ownersKnown: true });
  });
});
