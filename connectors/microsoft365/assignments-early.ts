import pLimit from 'p-limit';
import type { ConnectorContext } from '../../src/connector/context.js';
import { attributeTo } from '../../src/connector/coverage.js';
import { BATCH_SIZE, type BatchItem, type BatchResult, select } from './client.js';
import { LIST_RESERVED_SLOTS } from './owners-early.js';
import { APP_ROLE_ASSIGNMENT_SELECT, AppRoleAssignment, type ServicePrincipal } from './schema.js';
import type { Session } from './session.js';

const COLLECTOR = 'app-role-assignments';
export const ASSIGNMENTS_INFO = {
  api: 'GET /servicePrincipals/{id}/appRoleAssignedTo',
  requiredPermission: 'Application.Read.All',
};

/** A resource whose app roles a service principal (not only a user) can hold. */
export function isResource(sp: ServicePrincipal): boolean {
  return sp.appRoles.some((r) => r.allowedMemberTypes.includes('Application'));
}

/** The read of a resource's assignments, keyed by the resource's object id. */
export function assignmentsItem(s: Session, resource: ServicePrincipal): BatchItem<AppRoleAssignment> {
  return {
    key: resource.id,
    url: `/servicePrincipals/${resource.id}/appRoleAssignedTo?${select(APP_ROLE_ASSIGNMENT_SELECT)}&$top=${s.config.pageSize}`,
    collection: true,
    schema: AppRoleAssignment,
  };
}

/**
 * The app role assignments of resource service principals read while the service principal list is
 * still being paged, as owners-early.ts reads owners on a full read. A resource's assignments need only
 * its id, and the longest of them (Microsoft Graph's, thousands of assignments) is a nextLink chain read
 * one page at a time: started when the list page naming the resource arrives, it is no longer the last
 * thing the scan waits for once the list is read. Used when owners are not read early (a rescan), so
 * that the list shares the request limiter with these reads only. The resources are posted 20 to a
 * `$batch` in list order, the last part of fewer left to the collector with the rest, so the posts are
 * the same as when read after the list; until the list is read, at most all but `LIST_RESERVED_SLOTS`
 * of the limiter's slots are used, so that the list's next page never waits behind them. The first failure stops the
 * reads; the app-role collector fails with it, as it would have reading them itself.
 */
export class EarlyAssignmentReads {
  private readonly results = new Map<string, BatchResult<AppRoleAssignment>>();
  private readonly pending: Promise<void>[] = [];
  private readonly asked = new Set<string>();
  private readonly waiting: BatchItem<AppRoleAssignment>[] = [];
  private failure: { error: unknown } | null = null;
  private readonly lane: ReturnType<typeof pLimit>;
  private readonly slots: number;

  constructor(
    private readonly s: Session,
    ctx: ConnectorContext,
  ) {
    const slots = ctx.limit.concurrency;
    this.slots = Number.isFinite(slots) && slots > 0 ? slots : 1;
    this.lane = pLimit(Math.max(1, this.slots - LIST_RESERVED_SLOTS));
  }

  /** A page of the service principal list: its resources' assignments are read, 20 to a `$batch`. */
  addPage(page: readonly ServicePrincipal[]): void {
    for (const sp of page) {
      if (!isResource(sp) || this.asked.has(sp.id)) continue;
      this.asked.add(sp.id);
      this.waiting.push(assignmentsItem(this.s, sp));
      if (this.waiting.length === BATCH_SIZE) this.post(this.waiting.splice(0));
    }
  }

  /** The list is read in full: the resources still waiting are left to the collector. */
  listed(): void {
    for (const item of this.waiting.splice(0)) this.asked.delete(item.key);
    this.lane.concurrency = this.slots;
  }

  private post(chunk: BatchItem<AppRoleAssignment>[]): void {
    this.pending.push(
      this.lane(async () => {
        if (this.failure) return;
        try {
          const got = await attributeTo(COLLECTOR, () => this.s.graph.batch(chunk, ASSIGNMENTS_INFO));
          for (const [key, r] of got) this.results.set(key, r);
        } catch (error) {
          this.failure ??= { error };
        }
      }),
    );
  }

  /** Whether the assignments of the resource `key` (its object id) were asked here. */
  covers(key: string): boolean {
    return this.asked.has(key);
  }

  /** Every read started has ended (none of them rejects: a failure is kept for `answers`). */
  async settled(): Promise<void> {
    await Promise.all(this.pending);
  }

  /** The answers by resource id, once every read ended; throws the first failure. */
  async answers(): Promise<ReadonlyMap<string, BatchResult<AppRoleAssignment>>> {
    await this.settled();
    if (this.failure) throw this.failure.error;
    return this.results;
  }
}
