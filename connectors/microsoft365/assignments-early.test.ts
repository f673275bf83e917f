import { describe, expect, it } from 'vitest';
import type { ConnectorContext } from '../../src/connector/context.js';
import { activeCollector } from '../../src/connector/coverage.js';
import { EarlyAssignmentReads } from './assignments-early.js';
import type { BatchItem, BatchResult } from './client.js';
import type { AppRoleAssignment, ServicePrincipal } from './schema.js';
import type { Session } from './session.js';

/** A service principal; a resource when it declares an app role that applications can hold. */
const sp = (n: number, resource: boolean) =>
  ({
    id: `sp-${n}`,
    appRoles: resource ? [{ id: `role-${n}`, value: 'Read', allowedMemberTypes: ['Application'] }] : [],
  }) as unknown as ServicePrincipal;

/** Reads over a stub Graph client that records each `$batch` it is asked (and who asked it). */
function reads(fail?: Error) {
  const posts: Array<{ keys: string[]; collector: string | undefined }> = [];
  const graph = {
    batch: async (items: BatchItem<AppRoleAssignment>[]) => {
      posts.push({ keys: items.map((i) => i.key), collector: activeCollector() });
      if (fail) throw fail;
      return new Map<string, BatchResult<AppRoleAssignment>>(
        items.map((i) => [i.key, { status: 200, value: [] }]),
      );
    },
  };
  const s = { graph, config: { pageSize: 999 } } as unknown as Session;
  const ctx = { limit: { concurrency: 4 } } as unknown as ConnectorContext;
  return { early: new EarlyAssignmentReads(s, ctx), posts };
}

describe('app role assignments read while the service principal list is paged', () => {
  it('posts the resources of the pages read, 20 to a $batch in list order, for the app-role collector; leaves the rest to it', async () => {
    const { early, posts } = reads();
    // 25 resources among 50 service principals, then 10 more on a second page.
    early.addPage(Array.from({ length: 50 }, (_, n) => sp(n, n % 2 === 0)));
    early.addPage(Array.from({ length: 10 }, (_, n) => sp(100 + n, true)));
    early.listed();
    const answers = await early.answers();
    const resources = [
      ...Array.from({ length: 25 }, (_, n) => `sp-${2 * n}`),
      ...Array.from({ length: 10 }, (_, n) => `sp-${100 + n}`),
    ];
    // One full $batch: the 15 resources left wait for the collector, posted with the rest.
    expect(posts).toEqual([{ keys: resources.slice(0, 20), collector: 'app-role-assignments' }]);
    expect([...answers.keys()]).toEqual(resources.slice(0, 20));
    expect(resources.filter((r) => early.covers(r))).toEqual(resources.slice(0, 20));
    expect(early.covers('sp-1')).toBe(false);
  });

  it('asks nothing twice when the list is read again from its start', async () => {
    const { early, posts } = reads();
    const page = Array.from({ length: 20 }, (_, n) => sp(n, true));
    early.addPage(page);
    early.addPage(page);
    early.listed();
    await early.answers();
    expect(posts).toHaveLength(1);
  });

  it('keeps the first failure for the collector, and asks nothing more after it', async () => {
    const { early, posts } = reads(new Error('429 throttled'));
    early.addPage(Array.from({ length: 60 }, (_, n) => sp(n, true)));
    early.listed();
    await early.settled();
    await expect(early.answers()).rejects.toThrow('429 throttled');
    expect(posts.length).toBeLessThan(3);
  });
});
