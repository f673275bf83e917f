import { describe, expect, it } from 'vitest';
import type { PatGrant, PatRequest } from '../schema.js';
import { MemberDirectory } from './members.js';
import { patGrantRecords } from './pat-grants.js';
import { patRequestRecords } from './pat-requests.js';

const dir = new MemberDirectory();
dir.add('dave', 4, 'member');
dir.complete = true;
const scope = { org: 'acme', tenant: { id: 'acme', name: 'acme' }, web: 'https://github.com', members: dir };

const common = {
  owner: { login: 'dave', id: 4 },
  repositories_url: '',
  permissions: {
    repository: { contents: 'write' },
    organization: { members: 'read' },
    other: { gpg_keys: 'read' },
  },
  token_id: 91001,
  token_name: 'sync',
  token_expired: false,
  token_expires_at: '2030-01-01T00:00:00Z',
  token_last_used_at: null,
};

describe('fine-grained PAT records', () => {
  it('grants each permission on what its section reaches, the owner as principal, and the token as credential', () => {
    const grant: PatGrant = {
      ...common,
      id: 81001,
      repository_selection: 'subset',
      access_granted_at: '2024-01-01T00:00:00Z',
    };
    const records = [...patGrantRecords([{ grant, repositories: ['acme/api', 'acme/web'] }], scope)];
    expect(records.map((r) => r.type)).toEqual(['identity', 'grant', 'grant', 'grant', 'credential']);
    expect(records[0]).toMatchObject({
      kind: 'fine-grained-pat',
      owners: [{ id: 'dave', active: true }],
      attributes: { repositorySelection: 'subset', repositories: ['acme/api', 'acme/web'] },
    });
    const targets = records.filter((r) => r.type === 'grant').map((g) => [g.permission.id, g.target.breadth]);
    expect(targets).toEqual([
      ['contents', 'selected'],
      ['members', 'tenant'],
      ['gpg_keys', 'user'],
    ]);
    expect(records[1]).toMatchObject({
      target: { resources: ['acme/api', 'acme/web'], count: 2 },
      principal: { id: 'dave' },
    });
    expect(records[4]).toMatchObject({
      credentialType: 'pat',
      nativeId: '91001',
      expiresAt: '2030-01-01T00:00:00Z',
    });
  });

  it('makes a pending request an identity that grants nothing yet', () => {
    const request: PatRequest = {
      ...common,
      id: 82001,
      repository_selection: 'all',
      created_at: '2024-01-01T00:00:00Z',
      reason: 'nightly sync',
    };
    const records = [...patRequestRecords([{ request, repositories: [] }], scope)];
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({
      kind: 'fine-grained-pat-request',
      enabled: false,
      attributes: { status: 'pending', reason: 'nightly sync', requestedPermissions: common.permissions },
    });
    expect((records[0] as { attributes: object }).attributes).not.toHaveProperty('repositories');
  });
});
