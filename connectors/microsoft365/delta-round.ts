import { z } from 'zod';
import type { CollectorRun } from '../../src/connector/collector.js';
import { ApiError } from '../../src/errors.js';
import type { CallInfo } from './client.js';
import type { Session } from './session.js';

/*
 * Rounds of a Graph delta query (https://learn.microsoft.com/graph/delta-query-overview), shared by the
 * collectors that follow a stored delta link (grants-delta.ts, service-principals-delta.ts).
 */

/**
 * A delta page ("Resource representation in the delta query response"): a new object with its selected
 * properties, an updated one with "at least the properties that have been updated", a removed one as its
 * `id` and `@removed`; then a nextLink or the deltaLink, never both.
 */
export const DeltaPage = z.object({
  value: z.array(z.looseObject({ id: z.string(), '@removed': z.looseObject({}).optional() })),
  '@odata.nextLink': z.string().optional(),
  '@odata.deltaLink': z.string().optional(),
});
export type DeltaPage = z.infer<typeof DeltaPage>;

/**
 * Expired or reset delta state: "a 40X-series error with error codes such as syncStateNotFound" (Token
 * duration), or 410 Gone with a Location to restart from (Synchronization reset). Either way the
 * collection is read in full.
 */
export function needsFullSync(err: unknown): boolean {
  return (
    err instanceof ApiError &&
    (err.status === 410 || /syncStateNotFound|syncStateInvalid|resyncRequired/i.test(err.message))
  );
}

/** A round of changes: objects added or updated (by id, merged over the round), ids removed. */
export interface DeltaRound {
  changed: Map<string, Record<string, unknown>>;
  removed: Set<string>;
  deltaLink: string;
}

/** Follows a round from `link` through its nextLinks to its deltaLink. */
export async function readDeltaRound(s: Session, link: string, info: CallInfo): Promise<DeltaRound> {
  const changed = new Map<string, Record<string, unknown>>();
  const removed = new Set<string>();
  const seen = new Set<string>();
  const context = { method: 'GET', path: info.api.replace(/^GET /, '') };
  let next: string | undefined = link;
  while (next) {
    if (seen.has(next)) {
      throw new ApiError(
        'microsoft-graph',
        200,
        'delta paging did not advance: a nextLink repeated',
        context,
      );
    }
    seen.add(next);
    const body: DeltaPage = await s.graph.read(next, DeltaPage, info);
    // An object may show more than once in a round ("Replays"): the last word wins, and an update's
    // properties add to what the round said of it before.
    for (const o of body.value) {
      if (o['@removed']) {
        changed.delete(o.id);
        removed.add(o.id);
      } else {
        removed.delete(o.id);
        const { '@removed': _, ...props } = o;
        changed.set(o.id, { ...(changed.get(o.id) ?? {}), ...props });
      }
    }
    if (body['@odata.deltaLink']) return { changed, removed, deltaLink: body['@odata.deltaLink'] };
    next = body['@odata.nextLink'];
  }
  throw new ApiError('microsoft-graph', 200, 'a delta round ended without a deltaLink', context);
}

/**
 * A delta link from now (`$deltatoken=latest`: "sync from now", delta-query-overview), for the next
 * scan to follow, asked before a full read so that no change in between is lost; `query` is the one the
 * rounds keep (its `$select`). Null, with a note, when Graph does not give one (refused, not offered):
 * the next scan then reads in full, as this one does.
 */
export async function latestDeltaLink(
  s: Session,
  run: Pick<CollectorRun, 'ctx' | 'name'>,
  collection: string,
  query: string,
  info: CallInfo,
): Promise<string | null> {
  try {
    const latest = await s.graph.read(`/${collection}/delta?$deltatoken=latest&${query}`, DeltaPage, info);
    return latest['@odata.deltaLink'] ?? null;
  } catch (err) {
    run.ctx.coverage.note(
      run.name,
      `no ${collection} delta link for the next scan: ${err instanceof Error ? err.message : String(err)}`,
    );
    return null;
  }
}
