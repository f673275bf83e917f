import { describe, expect, it } from 'vitest';
import { outsideCollaboratorRecords } from './outside-collaborators.js';

const scope = { org: 'acme', tenant: { id: 'acme', name: 'acme' }, web: 'https://github.com', members: null };

describe('outside-collaborators records', () => {
  it('inventories those with admin, maintain or write access, one grant per such repository', () => {
    const records = [
      ...outsideCollaboratorRecords(
        {
          listed: ['zed', 'reader'],
          access: new Map([
            [
              'zed',
              [
                { repo: 'acme/web', role: 'WRITE' as const },
                { repo: 'acme/api', role: 'READ' as const },
              ],
            ],
            ['reader', [{ repo: 'acme/web', role: 'TRIAGE' as const }]],
            ['amy', [{ repo: 'acme/infra', role: 'ADMIN' as const }]],
          ]),
        },
        scope,
      ),
    ];
    expect(records.filter((r) => r.type === 'identity').map((r) => r.nativeId)).toEqual(['amy', 'zed']);
    expect(records.find((r) => r.type === 'identity' && r.nativeId === 'zed')).toMatchObject({
      origin: 'third-party',
      attributes: { listedAsOutsideCollaborator: true, repositories: ['acme/api:read', 'acme/web:write'] },
    });
    expect(records.find((r) => r.type === 'identity' && r.nativeId === 'amy')).toMatchObject({
      attributes: { listedAsOutsideCollaborator: false },
    });
    expect(
      records
        .filter((r) => r.type === 'grant')
        .map((g) => [g.identity.nativeId, g.permission.nativeLevel, g.target.id]),
    ).toEqual([
      ['amy', 'admin', 'acme/infra'],
      ['zed', 'write', 'acme/web'],
    ]);
  });
});
