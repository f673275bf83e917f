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

describe('slots left to the list while it is paged', () => {
  it('keeps three of the limiter’s slots free until the list is read (its next page, the sign-in report’s, the application list’s), then uses all', async () => {
    let inFlight = 0;
    let most = 0;
    const release: Array<() => void> = [];
    const graph = {
      batch: async (items: BatchItem<AppRoleAssignment>[]) => {
        inFlight += 1;
        most = Math.max(most, inFlight);
        await new Promise<void>((r) => release.push(r));
        inFlight -= 1;
        return new Map<string, BatchResult<AppRoleAssignment>>(
          items.map((i) => [i.key, { status: 200, value: [] }]),
        );
      },
    };
    const s = { graph, config: { pageSize: 999 } } as unknown as Session;
    const ctx = { limit: { concurrency: 8 } } as unknown as ConnectorContext;
    const early = new EarlyAssignmentReads(s, ctx);
    // 10 full $batches of resources.
    early.addPage(Array.from({ length: 200 }, (_, n) => sp(n, true)));
    await new Promise((r) => setImmediate(r));
    expect(inFlight).toBe(5);
    early.listed();
    // The lane grows to every slot once the list is read.
    release.shift()!();
    await new Promise((r) => setImmediate(r));
    expect(inFlight).toBe(8);
    while (release.length > 0) {
      release.shift()!();
      await new Promise((r) => setImmediate(r));
    }
    await early.answers();
    expect(most).toBe(8);
  });
});
