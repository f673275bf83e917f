import { describe, expect, it } from 'vitest';
import type { CollectorRun } from '../../../src/connector/collector.js';
import { OAuth2PermissionGrant, ServicePrincipal } from '../schema.js';
import type { Session } from '../session.js';
import { oauth2PermissionGrants } from './oauth2-permission-grants.js';

/**
 * The delegated grants' two lookups that need only the grant objects (their resources' scopes, the
 * consenting users) are asked at once, not one after the other's answer; and neither is left running
 * when the other fails. A fake Graph whose `$batch` answers when the test says.
 */
const zoom = ServicePrincipal.parse({ id: 'zoom-sp', appId: 'zoom-app', displayName: 'Zoom' });
const consent = OAuth2PermissionGrant.parse({
  id: 'g1',
  clientId: 'zoom-sp',
  consentType: 'Principal',
  principalId: 'u1',
  resourceId: 'graph-sp',
  scope: 'Calendars.Read',
});

function fixture() {
  const asked: Array<{ api: string; answer: (v: unknown) => void; fail: (e: unknown) => void }> = [];
  const s = {
    config: { pageSize: 999 },
    tenant: { id: 't', name: 'T' },
    graph: {
      async *list() {
        yield [consent];
      },
      batch: (_items: unknown[], info: { api: string }) =>
        new Promise((answer, fail) => asked.push({ api: info.api, answer, fail })),
    },
  } as unknown as Session;
  const run = {
    name: 'oauth2-permission-grants',
    ctx: { coverage: { note: () => {}, status: () => 'complete' } },
    input: () => ({ servicePrincipals: [zoom] }),
  } as unknown as CollectorRun;
  const turns = async (n = 5) => {
    for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r));
  };
  return { s, run, asked, turns };
}

describe('delegated grants: resources and users read at once', () => {
  it('asks the consenting users before the resources’ scopes are answered', async () => {
    const { s, run, asked, turns } = fixture();
    const fetched = oauth2PermissionGrants.fetch(s, run);
    await turns();
    expect(asked.map((a) => a.api)).toEqual(['GET /servicePrincipals/{id}', 'GET /users/{id}']);
    asked[1]!.answer(new Map([['u1', { status: 404 }]]));
    asked[0]!.answer(new Map());
    const read = await fetched;
    expect(read.resourceCount).toBe(1);
    expect([...read.users]).toEqual([['u1', null]]);
  });

  it('fails with the resources’ failure only once the users’ lookup has ended', async () => {
    const { s, run, asked, turns } = fixture();
    let settled = false;
    const fetched = oauth2PermissionGrants.fetch(s, run).finally(() => {
      settled = true;
    });
    fetched.catch(() => {});
    await turns();
    asked[0]!.fail(new Error('scopes refused'));
    await turns();
    expect(settled).toBe(false);
    asked[1]!.answer(new Map());
    await expect(fetched).rejects.toThrow('scopes refused');
  });
});
