import { describe, expect, it } from 'vitest';
import { MemberDirectory } from './collectors/members.js';
import { hookRecords, normaliseTimestamp, ownersOf, person, type RecordScope, usage } from './records.js';
import type { Hook } from './schema.js';

/** A scope for record builders: the org `acme`, members alice (owner) and bob, list complete. */
function testScope(members: MemberDirectory | null = directory()): RecordScope {
  return { org: 'acme', tenant: { id: 'acme', name: 'acme' }, web: 'https://github.com', members };
}

function directory(complete = true): MemberDirectory {
  const dir = new MemberDirectory();
  dir.add('alice', 1, 'admin');
  dir.add('bob', 2, 'member');
  dir.complete = complete;
  return dir;
}

describe('GitHub record helpers', () => {
  it('judges people by a complete member list: members active, anyone else not, bots never', () => {
    const scope = testScope();
    expect(person(scope, 'Alice')).toEqual({ id: 'Alice', name: 'Alice', type: 'user', active: true });
    expect(person(scope, 'frank').active).toBe(false);
    expect(person(scope, 'renovate[bot]')).toMatchObject({ type: 'service', active: null });
    expect(ownersOf(scope, ['bob', 'frank'])).toEqual({
      owners: [
        expect.objectContaining({ id: 'bob', active: true }),
        expect.objectContaining({ id: 'frank', active: false }),
      ],
      ownersKnown: true,
    });
  });

  it('with an incomplete list: listed members active, others by the previous scan or unknown, and not verified', () => {
    const dir = directory(false);
    dir.carryOver('frank', false);
    dir.carryOver('carol', true);
    const scope = testScope(dir);
    expect(['alice', 'frank', 'carol', 'dave'].map((l) => person(scope, l).active)).toEqual([
      true,
      false,
      true,
      null,
    ]);
    expect(ownersOf(scope, ['alice']).ownersKnown).toBe(true);
    expect(ownersOf(scope, ['alice', 'carol']).ownersKnown).toBe(false);
    expect(ownersOf(scope, ['dependabot[bot]']).ownersKnown).toBe(true);
  });

  it('without a member list (the members collector read none): everyone unknown, owners not verified', () => {
    const scope = testScope(null);
    expect(person(scope, 'alice').active).toBeNull();
    expect(ownersOf(scope, ['alice'])).toMatchObject({ ownersKnown: false, owners: [{ active: null }] });
    // No owner at all is a fact, not a gap.
    expect(ownersOf(scope, []).ownersKnown).toBe(true);
  });

  it('normalises GitHub timestamps with offsets; null usage means never used', () => {
    expect(normaliseTimestamp('2017-05-16T08:47:09.000-07:00')).toBe('2017-05-16T15:47:09Z');
    expect(usage(null, 'github:x')).toEqual({ at: null, source: 'github:x' });
  });

  it('keeps a webhook’s scheme and host only, never its URL path or secret', () => {
    const hook: Hook = {
      id: 7,
      name: 'web',
      active: true,
      events: ['push', '*'],
      config: {
        url: 'http://hooks.example.com:8080/T0/xXsecretXx?token=abc',
        secret: '********',
        insecure_ssl: '1',
      },
      created_at: '2024-01-01T00:00:00Z',
      updated_at: '2024-01-01T00:00:00Z',
    };
    const records = [
      ...hookRecords(testScope(), 'org-webhooks', hook, {
        nativeId: 'acme#7',
        manageUrl: 'https://github.com/organizations/acme/settings/hooks/7',
        target: { breadth: 'tenant', type: 'organization', id: 'acme' },
      }),
    ];
    expect(records.map((r) => r.type)).toEqual(['identity', 'grant', 'grant']);
    expect(records[0]).toMatchObject({
      kind: 'webhook',
      displayName: 'webhook to hooks.example.com:8080',
      attributes: {
        targetHost: 'hooks.example.com:8080',
        scheme: 'http',
        insecureSsl: true,
        hasSecret: true,
      },
    });
    expect(records[2]).toMatchObject({ permission: { id: 'event:*', name: 'all events' } });
    const text = JSON.stringify(records);
    for (const secret of ['xXsecretXx', 'token=abc', '********']) expect(text).not.toContain(secret);
    // Plaintext delivery with TLS checks off ranks above a plain org webhook.
    expect(records[1]).toMatchObject({ risk: { tier: 'medium' } });
  });
});
