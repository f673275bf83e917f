import { mkdtemp, writeFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exemptFromRequestConformance } from '../../../test/support/conformance.js';
import { createHttpPolicy } from '../../connector/http.js';
import { type RunningEmulator, startEmulator } from '../server.js';
import { DELTA_PAGE_SIZE, DELTA_TOKEN_LIFETIME_MS, DeltaTracker } from './delta.js';

const DEMO = 'fixtures/worlds/test/m365-demo.yaml';
const CHANGED = 'fixtures/worlds/test/m365-demo-changed.yaml';
// biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary JSON response bodies
type Body = any;

/** Requests sent on purpose with a token Graph would not know (marked, exempt from the request check). */
const REFUSED = { 'x-grantscope-test': 'expect-refusal' } as const;
exemptFromRequestConformance(
  'delta tests send tokens Graph does not know, marked x-grantscope-test: expect-refusal',
  (r) => r.headers['x-grantscope-test'] === 'expect-refusal',
);

describe('microsoft365 emulator: delta queries', () => {
  let emu: RunningEmulator;
  let fetch: typeof globalThis.fetch;
  let access: string;

  const graph = async (path: string, headers: Record<string, string> = {}) => {
    const r = await fetch(path.startsWith('http') ? path : `${emu.origin}${path}`, {
      headers: { authorization: `Bearer ${access}`, ...headers },
    });
    return { status: r.status, headers: r.headers, body: (await r.json()) as Body };
  };
  /** Follow a round from `path` to its deltaLink; every page's values. */
  const round = async (path: string) => {
    const values: Body[] = [];
    let next: string = path;
    let pages = 0;
    while (true) {
      const r = await graph(next);
      expect(r.status).toBe(200);
      pages += 1;
      values.push(...r.body.value);
      if (r.body['@odata.deltaLink'])
        return { values, pages, deltaLink: r.body['@odata.deltaLink'] as string };
      next = r.body['@odata.nextLink'];
      expect(next).toBeTruthy();
    }
  };

  beforeAll(async () => {
    emu = await startEmulator({ world: DEMO });
    const dir = await mkdtemp('/tmp/gs-m365-delta-');
    await writeFile(`${dir}/ca.pem`, emu.caCert);
    fetch = createHttpPolicy({ caFile: `${dir}/ca.pem` }).fetch;
    const setup = emu.clientSetup();
    const cfg = setup.config.microsoft365 as Record<string, string>;
    const r = await fetch(`${emu.origin}/${cfg.tenantId}/oauth2/v2.0/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: cfg.clientId!,
        client_secret: setup.files['microsoft365-client-secret.txt']!.trim(),
        scope: 'https://graph.microsoft.com/.default',
      }).toString(),
    });
    access = ((await r.json()) as Body).access_token;
  });
  afterAll(() => emu.stop());

  it('returns every object first, then only what changed, with removals as @removed', async () => {
    emu.setWorld(DEMO);
    const list = await graph('/v1.0/oauth2PermissionGrants?$top=999');
    const first = await round('/v1.0/oauth2PermissionGrants/delta?$select=id,clientId,scope');
    expect(first.values.map((g: Body) => g.id).sort()).toEqual(list.body.value.map((g: Body) => g.id).sort());
    // The $select of the initial request holds for the round: id always, nothing unselected.
    expect(Object.keys(first.values[0]).sort()).toEqual(['clientId', 'id', 'scope']);
    // The link carries the token only: options are encoded in it.
    expect(new URL(first.deltaLink).search).toMatch(/^\?\$deltatoken=[^&]+$/);

    const same = await round(first.deltaLink);
    expect(same.values).toEqual([]);

    emu.setWorld(CHANGED);
    const after = await graph('/v1.0/oauth2PermissionGrants?$top=999');
    const changes = await round(same.deltaLink);
    const before = new Map(list.body.value.map((g: Body) => [g.id, g]));
    const now = new Map(after.body.value.map((g: Body) => [g.id, g]));
    const added = [...now.keys()].filter((id) => !before.has(id));
    const updated = [...now.keys()].filter(
      (id) => before.has(id) && (before.get(id) as Body).scope !== (now.get(id) as Body).scope,
    );
    const removed = [...before.keys()].filter((id) => !now.has(id));
    expect(added.length + updated.length).toBeGreaterThan(0);
    expect(removed.length).toBeGreaterThan(0);
    expect(
      changes.values
        .filter((v: Body) => !v['@removed'])
        .map((v: Body) => v.id)
        .sort(),
    ).toEqual([...added, ...updated].sort());
    expect(changes.values.filter((v: Body) => v['@removed'])).toEqual(
      removed.map((id) => ({ id, '@removed': { reason: 'deleted' } })),
    );
    // The new link starts from the changed world.
    expect((await round(changes.deltaLink)).values).toEqual([]);
  });

  it('tracks service principals, and `$deltatoken=latest` gives a link without data', async () => {
    emu.setWorld(DEMO);
    const latest = await graph('/v1.0/servicePrincipals/delta?$deltatoken=latest&$select=id,displayName');
    expect(latest.body.value).toEqual([]);
    expect(latest.body['@odata.deltaLink']).toBeTruthy();
    emu.setWorld(CHANGED);
    const changes = await round(latest.body['@odata.deltaLink']);
    expect(changes.values.length).toBeGreaterThan(0);
    expect(
      changes.values.every((v: Body) => Object.keys(v).every((k) => ['id', 'displayName'].includes(k))),
    ).toBe(true);
    emu.setWorld(DEMO);
    const back = await round(changes.deltaLink);
    // The service principal the change added is gone again: restorable, so reason `changed`.
    expect(back.values.filter((v: Body) => v['@removed'])).toEqual(
      changes.values
        .filter((v: Body) => !v['@removed'])
        .filter((v: Body) => back.values.some((b: Body) => b.id === v.id && b['@removed']))
        .map((v: Body) => ({ id: v.id, '@removed': { reason: 'changed' } })),
    );
    expect(back.values.some((v: Body) => v['@removed'])).toBe(true);
  });

  it('sends an updated object as its id and the properties that changed, a new one in full', async () => {
    emu.setWorld(DEMO);
    // The changed demo world updates a grant's scope and adds a grant.
    const fields = 'id,clientId,consentType,resourceId,scope';
    const byId = async () =>
      new Map<string, Body>(
        (await graph(`/v1.0/oauth2PermissionGrants?$top=999&$select=${fields}`)).body.value.map((v: Body) => [
          v.id,
          v,
        ]),
      );
    const before = await byId();
    const latest = await graph(`/v1.0/oauth2PermissionGrants/delta?$deltatoken=latest&$select=${fields}`);
    emu.setWorld(CHANGED);
    const after = await byId();
    const changes = await round(latest.body['@odata.deltaLink']);
    const kept = changes.values.filter((v: Body) => !v['@removed'] && before.has(v.id));
    const added = changes.values.filter((v: Body) => !v['@removed'] && !before.has(v.id));
    expect(kept.length).toBeGreaterThan(0);
    expect(added.length).toBeGreaterThan(0);
    for (const v of kept) {
      expect(Object.keys(v)).toContain('scope');
      const was = before.get(v.id);
      const now = after.get(v.id);
      const differ = Object.keys(now).filter((k) => JSON.stringify(was[k]) !== JSON.stringify(now[k]));
      expect(Object.keys(v).sort()).toEqual(['id', ...differ].sort());
    }
    for (const v of added) expect(v).toEqual(after.get(v.id));
  });

  it('answers an unknown or expired token with 410 syncStateNotFound and the initial request as Location', async () => {
    const r = await graph('/v1.0/servicePrincipals/delta?$deltatoken=not-a-token', REFUSED);
    expect(r.status).toBe(410);
    expect(r.body.error.code).toBe('syncStateNotFound');
    expect(r.headers.get('location')).toBe(`${emu.origin}/v1.0/servicePrincipals/delta`);
  });

  it('expires tokens after seven days (directory objects)', () => {
    let now = 0;
    const tracker = new DeltaTracker(() => now);
    const token = tracker.issue({ select: null, hashes: new Map() });
    now = DELTA_TOKEN_LIFETIME_MS;
    expect(tracker.lookUp(token)).toBeDefined();
    now = DELTA_TOKEN_LIFETIME_MS + 1;
    expect(tracker.lookUp(token)).toBeUndefined();
  });

  it('pages a long round with nextLinks that carry only a skip token', async () => {
    emu.setWorld(DEMO);
    const all = await graph('/v1.0/servicePrincipals?$top=999&$select=id');
    const r = await round('/v1.0/servicePrincipals/delta?$select=id');
    expect(r.values.length).toBe(all.body.value.length);
    expect(r.pages).toBe(Math.max(1, Math.ceil(all.body.value.length / DELTA_PAGE_SIZE)));
  });
});
