import pLimit from 'p-limit';
import type { ConnectorContext } from '../../src/connector/context.js';
import { attributeTo } from '../../src/connector/coverage.js';
import { BATCH_SIZE, type BatchItem, type BatchResult, select } from './client.js';
import { latestUsersDeltaLink, ownersFullReadReason } from './owners-incremental.js';
import { originOf } from './records.js';
import { DIRECTORY_OBJECT_SELECT, DirectoryObject, type ServicePrincipal } from './schema.js';
import type { Session } from './session.js';

const OWNERS = 'owners';
/**
 * The request limiter's slots left to the requests read while the service principal list is paged
 * besides the reads started from its pages: its own next page, the sign-in report's and the application
 * list's (asked once the list's first page is in: service-principals.ts).
 */
export const LIST_RESERVED_SLOTS = 3;
const OWNERS_INFO = { api: 'GET /servicePrincipals/{id}/owners', requiredPermission: 'Application.Read.All' };

/**
 * The owners of service principals read while the service principal list is still being paged. The
 * list is a nextLink chain, read one page at a time; the owners, the bulk of a first scan's requests,
 * need only the ids of the pages already read. So on a scan that reads owners in full (a first scan,
 * `--full`: `ownersFullReadReason`), each page's service principals have their owners read as soon as
 * it arrives, counted for the owners collector, which takes the answers instead of asking again. A
 * rescan that reads only the owners that may have changed decides that from the whole list, and reads
 * nothing here.
 *
 * The users delta link for the next scan is taken first, before any owner is read, as the owners
 * collector does on a full read. Until the list is read, at most all but `LIST_RESERVED_SLOTS` of the
 * request limiter's slots are used, so that the list's next page (and the sign-in report's, and the
 * application list's) never waits behind the owners. The first failure
 * stops the reads; the owners collector fails with it, as it would have reading them itself.
 */
export class EarlyOwnerReads {
  private readonly results = new Map<string, BatchResult<DirectoryObject>>();
  private readonly pending: Promise<void>[] = [];
  /** Keys asked already (a list read again from its start asks nothing twice). */
  private readonly asked = new Set<string>();
  /** Owners to read in the next `$batch`, fewer than 20. */
  private readonly waiting: BatchItem<DirectoryObject>[] = [];
  private failure: { error: unknown } | null = null;
  private readonly lane: ReturnType<typeof pLimit>;
  /** The request limiter's slots. */
  private readonly slots: number;
  readonly latestLink: Promise<{ link: string | null; failure?: string }>;

  private constructor(
    private readonly s: Session,
    ctx: ConnectorContext,
  ) {
    const slots = ctx.limit.concurrency;
    this.slots = Number.isFinite(slots) && slots > 0 ? slots : 1;
    this.lane = pLimit(Math.max(1, this.slots - LIST_RESERVED_SLOTS));
    this.latestLink = attributeTo(OWNERS, () => latestUsersDeltaLink(s));
  }

  /** Reads for this scan, or null when owners are not read in full (or no store is behind the scan). */
  static start(s: Session, ctx: ConnectorContext): EarlyOwnerReads | null {
    return ownersFullReadReason(s, ctx) === null ? null : new EarlyOwnerReads(s, ctx);
  }

  /**
   * A page of the service principal list: its non-first-party service principals' owners are read, 20
   * to a `$batch`; a last part of fewer waits for the next page (see `listed`), so the posts are as
   * few as when read after the list.
   */
  addPage(page: readonly ServicePrincipal[]): void {
    const query = select(DIRECTORY_OBJECT_SELECT);
    for (const sp of page) {
      const key = `sp:${sp.id}`;
      if (originOf(sp, this.s.tenant.id, this.s.microsoft) === 'platform' || this.asked.has(key)) continue;
      this.asked.add(key);
      this.waiting.push({
        key,
        url: `/servicePrincipals/${sp.id}/owners?${query}`,
        collection: true,
        schema: DirectoryObject,
      });
      if (this.waiting.length === BATCH_SIZE) this.post(this.waiting.splice(0));
    }
  }

  /**
   * The list is read in full. The owners still waiting for a full `$batch` are left to the owners
   * collector, which reads them with the app registrations' (as many posts as without early reads),
   * and the reads left take every slot of the limiter, as the owners collector's own would.
   */
  listed(): void {
    for (const item of this.waiting.splice(0)) this.asked.delete(item.key);
    this.lane.concurrency = this.slots;
  }

  private post(chunk: BatchItem<DirectoryObject>[]): void {
    this.pending.push(
      this.lane(async () => {
        if (this.failure) return;
        await this.latestLink;
        try {
          const got = await attributeTo(OWNERS, () => this.s.graph.batch(chunk, OWNERS_INFO));
          for (const [key, r] of got) this.results.set(key, r);
        } catch (error) {
          // The reads still queued see it and end without asking.
          this.failure ??= { error };
        }
      }),
    );
  }

  /** Whether the owners of `key` (`sp:{id}`) were asked here. */
  covers(key: string): boolean {
    return this.asked.has(key);
  }

  /** Every read started has ended (none of them rejects: a failure is kept for `answers`). */
  async settled(): Promise<void> {
    await this.latestLink;
    await Promise.all(this.pending);
  }

  /** The answers by `sp:{id}` key, once every read ended; throws the first failure. */
  async answers(): Promise<ReadonlyMap<string, BatchResult<DirectoryObject>>> {
    await this.settled();
    if (this.failure) throw this.failure.error;
    return this.results;
  }
}
