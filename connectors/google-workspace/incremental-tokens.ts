import type { ConnectorContext } from '../../src/connector/context.js';
import { describeError } from '../../src/errors.js';
import { callGoogle, eachPage } from './client.js';
import { TOKEN_EVENTS_SPEC } from './collectors/token-activity.js';
import type { UserDirectory, WorkspaceUser } from './collectors/users.js';
import { ActivitiesPage, type Token } from './schema.js';
import type { GoogleSession } from './session.js';

/** The connector-state key: when the tokens.list of the last complete read began. */
export const TOKENS_READ_AT = 'oauth-grants.tokensReadAt';

/**
 * How far before the last read the token log is read again. Google gives the OAuth Token log events a
 * lag of "near real time (couple of minutes)" (Data retention and lag times,
 * https://support.google.com/a/answer/7061566); an hour covers that many times over.
 */
export const LAG_OVERLAP_MS = 60 * 60_000;

/**
 * Google also says that "in rare cases, events might not be reported" (same page): a grant that
 * changed without an event would stay unseen by incremental reads, so every user is read again at least
 * this often. Graph's directory delta tokens last seven days; the same period is used here.
 */
export const MAX_INCREMENTAL_AGE_MS = 7 * 86_400_000;

/** What an incremental read re-lists and what it keeps from the previous scan. */
export interface IncrementalTokens {
  /** The scan whose tokens are kept. */
  since: number;
  /** Users whose tokens are listed again: those with an `authorize` or `revoke` event since. */
  relist: WorkspaceUser[];
  /** The previous snapshot's tokens of every other user of the directory. */
  carried: Map<string, Token[]>;
}

const EVENT_FIELDS = 'nextPageToken,items(id/time,actor(email,profileId),events(name))';

/**
 * Decide whether tokens.list can be limited to the users whose grants changed since the last scan:
 * there is a read time from the previous scan of this tenant (the one the previous snapshot is), it is
 * recent enough, and the token log since then names every actor. Returns null (read everyone), with a
 * coverage note saying why, when not.
 */
export async function planIncrementalTokens(
  session: GoogleSession,
  ctx: ConnectorContext,
  collector: string,
  directory: UserDirectory,
): Promise<IncrementalTokens | null> {
  const stored = ctx.state?.get(TOKENS_READ_AT);
  if (ctx.state?.fullResync) {
    ctx.coverage.note(collector, 'full read: --full');
    return null;
  }
  if (!stored || !session.previous.ok) return null;
  const previousScanId = session.previous.scan.scanId;
  if (stored.scanId !== previousScanId) {
    ctx.coverage.note(
      collector,
      `full read: the last incremental read time is from scan #${stored.scanId}, not the previous scan #${previousScanId}`,
    );
    return null;
  }
  const readAt = Date.parse(stored.value);
  const now = session.now.getTime();
  if (!Number.isFinite(readAt) || now - readAt > MAX_INCREMENTAL_AGE_MS || readAt > now) {
    ctx.coverage.note(collector, `full read: the last read (${stored.value}) is more than 7 days old`);
    return null;
  }
  const start = new Date(Math.max(readAt - LAG_OVERLAP_MS, session.windowStart.getTime()));
  const actors = new Set<string>();
  let unresolved = 0;
  try {
    for (const eventName of ['authorize', 'revoke']) {
      await eachPage(
        TOKEN_EVENTS_SPEC,
        (pageToken) =>
          callGoogle(session.apis, TOKEN_EVENTS_SPEC, ActivitiesPage, () =>
            session.apis.reports.activities.list({
              userKey: 'all',
              applicationName: 'token',
              eventName,
              startTime: start.toISOString(),
              endTime: session.now.toISOString(),
              maxResults: 1000,
              pageToken,
              fields: EVENT_FIELDS,
            }),
          ),
        (page) => {
          for (const a of page.items ?? []) {
            const user =
              (a.actor?.profileId ? directory.byId.get(a.actor.profileId) : undefined) ??
              (a.actor?.email ? directory.byEmail(a.actor.email) : undefined);
            if (user) actors.add(user.id);
            else unresolved += 1;
          }
        },
      );
    }
  } catch (err) {
    ctx.coverage.note(
      collector,
      `full read: the token log since the last read could not be read (${describeError(err)})`,
    );
    return null;
  }
  if (unresolved > 0) {
    // An event of a user not in the directory now: deleted since (their grants go with them), or an
    // actor we cannot place. Read everyone rather than guess.
    ctx.coverage.note(
      collector,
      `full read: ${unresolved} token event(s) since the last read name no current user`,
    );
    return null;
  }
  const carried = previousTokens(session.previous.scan.tokensByUser, directory, actors);
  if (!carried) {
    ctx.coverage.note(
      collector,
      'full read: the previous snapshot’s grants could not be read back as tokens',
    );
    return null;
  }
  const relist = directory.list.filter((u) => actors.has(u.id));
  ctx.coverage.note(
    collector,
    `incremental: tokens.list for ${relist.length} of ${directory.list.length} users with token events since ${start.toISOString()} (scan #${previousScanId}'s read, less ${LAG_OVERLAP_MS / 60_000} min of log lag); the others' grants are those of scan #${previousScanId}`,
  );
  return { since: previousScanId!, relist, carried };
}

/**
 * Each current user's tokens as the previous snapshot stored them (read with the rest of the previous
 * scan, previous-scan.ts), but for the users in `skip` (they are listed again). Null when a stored grant
 * does not read back as a token.
 */
function previousTokens(
  stored: ReadonlyMap<string, readonly Token[]> | null,
  directory: UserDirectory,
  skip: ReadonlySet<string>,
): Map<string, Token[]> | null {
  if (!stored) return null;
  const out = new Map<string, Token[]>();
  for (const u of directory.list) if (!skip.has(u.id)) out.set(u.id, [...(stored.get(u.id) ?? [])]);
  return out;
}
