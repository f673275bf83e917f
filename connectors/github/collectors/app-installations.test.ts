import { describe, expect, it } from 'vitest';
import type { App, Installation } from '../schema.js';
import { type InstallationSettings, type InstalledApp, installationRecords } from './app-installations.js';
import { MemberDirectory } from './members.js';

const members = new MemberDirectory();
members.add('alice', 1, 'admin');
members.complete = true;
const scope = { org: 'acme', tenant: { id: 'acme', name: 'acme' }, web: 'https://github.com', members };

function installed(
  id: number,
  slug: string,
  owner: string | null,
  extra: Partial<Installation> = {},
): InstalledApp {
  const app: App | null = owner
    ? {
        id: id + 1000,
        slug,
        name: `App ${slug}`,
        owner: { login: owner, id: 9 },
        description: null,
        html_url: '',
      }
    : null;
  return {
    installation: {
      id,
      app_id: id + 1000,
      app_slug: slug,
      account: null,
      repository_selection: 'all',
      permissions: { contents: 'write', members: 'read' },
      events: ['push'],
      created_at: '2024-01-01T00:00:00Z',
      updated_at: '2024-01-01T00:00:00Z',
      suspended_at: null,
      suspended_by: null,
      ...extra,
    },
    app,
  };
}

const identities = (
  list: InstalledApp[],
  settings: InstallationSettings = { appOwners: {}, scannerAppId: null },
) => [...installationRecords(list, scope, settings)].filter((r) => r.type === 'identity');

describe('app-installations records', () => {
  it('tells the org’s own apps from GitHub’s and third parties’ by the app owner', () => {
    const list = [
      installed(1, 'acme-bot', 'ACME'),
      installed(2, 'dependabot', null),
      installed(3, 'renovate', 'mend'),
      installed(4, 'private-thing', null),
    ];
    expect(identities(list).map((r) => [r.nativeId, (r as { origin: string }).origin])).toEqual([
      ['1', 'internal'],
      ['2', 'platform'],
      ['3', 'third-party'],
      ['4', 'unknown'],
    ]);
  });

  it('takes owners from github.appOwners, judged by membership; marks the scanner’s own installation', () => {
    const [scanner, other] = identities(
      [installed(1, 'acme-bot', 'acme'), installed(3, 'renovate', 'mend')],
      {
        appOwners: { renovate: ['alice', 'frank'] },
        scannerAppId: '1001',
      },
    );
    expect(scanner).toMatchObject({
      owners: [],
      ownersKnown: true,
      attributes: { scanner: true, ownersSource: null },
    });
    expect(other).toMatchObject({
      owners: [
        { id: 'alice', active: true },
        { id: 'frank', active: false },
      ],
      attributes: { ownersSource: 'config: github.appOwners' },
    });
    expect((other as { attributes: object }).attributes).not.toHaveProperty('scanner');
  });

  it('grants each permission on what it reaches: repositories by selection, organisation permissions on the org', () => {
    const grants = [
      ...installationRecords(
        [installed(5, 'x', 'y', { repository_selection: 'selected', suspended_at: '2024-02-01T00:00:00Z' })],
        scope,
        { appOwners: {}, scannerAppId: null },
      ),
    ];
    expect(grants[0]).toMatchObject({ enabled: false });
    expect(
      grants
        .slice(1)
        .map((g) => [(g as { permission: { id: string } }).permission.id, (g as { target: object }).target]),
    ).toEqual([
      ['contents', expect.objectContaining({ breadth: 'selected', type: 'repository' })],
      ['members', expect.objectContaining({ breadth: 'tenant', type: 'organization', id: 'acme' })],
    ]);
  });
});
