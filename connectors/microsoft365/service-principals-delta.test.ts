import { describe, expect, it } from 'vitest';
import type { CollectorRun } from '../../src/connector/collector.js';
import { ApiError } from '../../src/errors.js';
import type { ServicePrincipal } from './schema.js';
import { readServicePrincipalObjects, SERVICE_PRINCIPALS_DELTA_LINK } from './service-principals-delta.js';
import type { Session } from './session.js';

/**
 * The choice between the delta round and the list, and the rebuild from the stored objects, against a
 * fake Graph and store: what the emulator cannot serve (a snapshot of an older build, an update that
 * holds only the properties that changed of an object the snapshot lacks).
 */
const BASE = 'https://graph.example/v1.0';
const LINK = `${BASE}/servicePrincipals/delta?$deltatoken=t1`;

const sp = (id: string, extra: Partial<Record<string, unknown>> = {}) => ({
  id,
  appId: `app-${id}`,
  displayName: `SP ${id}`,
  appOwnerOrganizationId: null,
  accountEnabled: true,
  servicePrincipalType: 'Application',
  verifiedPublisher: null,
  signInAudience: null,
  tags: [],
  createdDateTime: null,
  appRoles: [{ id: 'r1', value: 'Read', allowedMemberTypes: ['Application'] }],
  ...extra,
});

function fixture(opts: {
  /** Raw objects the previous snapshot's identities keep. */
  stored: Record<string, unknown>[];
  /** Delta pages by URL, or the error the link answers with. */
  delta: Record<string, unknown> | Error;
}) {
  const notes: string[] = [];
  const state = new Map<string, string | null>();
  const asked: string[] = [];
  const listed = [sp('listed') as unknown as ServicePrincipal];
  let listCalls = 0;
  const s = {
    endpoints: { graphBaseUrl: BASE },
    graph: {
      read: async (path: string) => {
        asked.push(path);
        if (path === LINK) {
          if (opts.delta instanceof Error) throw opts.delta;
          return opts.delta;
        }
        if (path.startsWith('/servicePrincipals/delta?$deltatoken=latest'))
          return { value: [], '@odata.deltaLink': `${BASE}/servicePrincipals/delta?$deltatoken=t2` };
        throw new Error(`unexpected ${path}`);
      },
    },
  } as unknown as Session;
  const run = {
    name: 'service-principals',
    ctx: {
      previous: {
        scanId: 7,
        scannedAt: null,
        async *bundles() {
          for (const raw of opts.stored)
            yield {
              source: 'm',
              identityKey: String((raw as { id: string }).id),
              identity: { collector: 'service-principals', raw },
              grants: [],
              credentials: [],
            };
        },
      },
      state: {
        fullResync: false,
        get: (key: string) =>
          key === SERVICE_PRINCIPALS_DELTA_LINK ? { value: LINK, scanId: 7 } : undefined,
        set: (key: string, value: string | null) => state.set(key, value),
      },
      coverage: { note: (_: string, n: string) => notes.push(n) },
    },
  } as unknown as Pick<CollectorRun, 'ctx' | 'name'>;
  const read = () =>
    readServicePrincipalObjects(s, run, ['id', 'appId'], async () => {
      listCalls += 1;
      return listed;
    });
  return { read, notes, state, asked, lists: () => listCalls };
}

const { appRoles: _, ...stored } = sp('a');
const rawOf = (o: ReturnType<typeof sp>) => ({
  ...o,
  appRoles: o.appRoles.map((r) => ({ id: r.id, value: r.value, allowedMemberTypes: r.allowedMemberTypes })),
});

describe('service principals through delta', () => {
  it('lays an update holding only the changed properties over the stored object, and drops a removed one', async () => {
    const f = fixture({
      stored: [rawOf(sp('a')), rawOf(sp('b'))],
      delta: {
        value: [
          { id: 'a', displayName: 'Renamed' },
          { id: 'b', '@removed': { reason: 'changed' } },
        ],
        '@odata.deltaLink': `${BASE}/servicePrincipals/delta?$deltatoken=t3`,
      },
    });
    const out = await f.read();
    expect(out.incremental).toBe(true);
    expect(f.lists()).toBe(0);
    expect(out.servicePrincipals).toHaveLength(1);
    expect(out.servicePrincipals[0]).toMatchObject({
      id: 'a',
      appId: 'app-a',
      displayName: 'Renamed',
      appRoles: [{ id: 'r1', value: 'Read', allowedMemberTypes: ['Application'] }],
    });
    expect(f.state.get(SERVICE_PRINCIPALS_DELTA_LINK)).toBe(`${BASE}/servicePrincipals/delta?$deltatoken=t3`);
    expect(f.notes.join('\n')).toMatch(/delta since scan #7: 1 changed, 1 removed/);
  });

  it('reads the list when the snapshot is of an older build (app roles without member types)', async () => {
    const f = fixture({
      stored: [{ ...stored, appRoles: [{ id: 'r1', value: 'Read' }] }],
      delta: { value: [], '@odata.deltaLink': `${BASE}/servicePrincipals/delta?$deltatoken=t3` },
    });
    const out = await f.read();
    expect(out.incremental).toBe(false);
    expect(f.lists()).toBe(1);
    expect(f.notes.join('\n')).toMatch(/cannot be read back from the store/);
    // A link for the next scan, asked before the list.
    expect(f.state.get(SERVICE_PRINCIPALS_DELTA_LINK)).toBe(`${BASE}/servicePrincipals/delta?$deltatoken=t2`);
  });

  it('reads the list when an update names an object the snapshot lacks', async () => {
    const f = fixture({
      stored: [rawOf(sp('a'))],
      delta: {
        value: [{ id: 'restored', displayName: 'Back' }],
        '@odata.deltaLink': `${BASE}/servicePrincipals/delta?$deltatoken=t3`,
      },
    });
    const out = await f.read();
    expect(out.incremental).toBe(false);
    expect(out.servicePrincipals.map((x) => x.id)).toEqual(['listed']);
    expect(f.notes.join('\n')).toMatch(/names service principal restored, which cannot be rebuilt/);
  });

  it('reads the list when the link expired, and fails on any other error', async () => {
    const gone = new ApiError('microsoft-graph', 410, 'syncStateNotFound: expired', {
      method: 'GET',
      path: '/servicePrincipals/delta',
    });
    const f = fixture({ stored: [rawOf(sp('a'))], delta: gone });
    expect((await f.read()).incremental).toBe(false);
    expect(f.lists()).toBe(1);
    expect(f.notes.join('\n')).toMatch(/the delta link of scan #7 expired/);

    const refused = new ApiError('microsoft-graph', 403, 'Authorization_RequestDenied', {
      method: 'GET',
      path: '/servicePrincipals/delta',
    });
    const g = fixture({ stored: [rawOf(sp('a'))], delta: refused });
    await expect(g.read()).rejects.toBe(refused);
    expect(g.lists()).toBe(0);
  });
});
