import { ApiError } from '../../../src/errors.js';
import type { PrincipalRef } from '../../../src/model/index.js';
import { type CallSpec, callGoogle } from '../api.js';
import { COLLECTOR, eachPage, type GoogleScan } from '../scan-context.js';
import { type DirectoryUser, UserId, UsersPage } from '../schema.js';

export const USERS_SPEC: CallSpec = {
  api: 'Admin SDK Directory API',
  method: 'GET',
  path: '/admin/directory/v1/users',
  requiredPermission:
    'domain-wide delegation of https://www.googleapis.com/auth/admin.directory.user.readonly; the subject needs the Users › Read admin privilege',
};

export const USER_GET_SPEC: CallSpec = {
  api: 'Admin SDK Directory API',
  method: 'GET',
  path: '/admin/directory/v1/users/{userKey}',
  requiredPermission: USERS_SPEC.requiredPermission,
};

const FIELDS = 'nextPageToken,users(id,primaryEmail,name/fullName,isAdmin,suspended,archived)';

export interface WorkspaceUser {
  id: string;
  email: string;
  name: string | null;
  isAdmin: boolean;
  suspended: boolean;
  archived: boolean;
  /** Can still sign in and act: neither suspended nor archived. */
  active: boolean;
}

export interface UserDirectory {
  readonly list: WorkspaceUser[];
  readonly byId: Map<string, WorkspaceUser>;
  byEmail(email: string): WorkspaceUser | undefined;
}

/** What owners and granting admins are judged by: whether a user is still active. */
export interface KnownUser {
  id: string;
  email: string | null;
  /** null: not known (an outside account the previous scan could not judge either). */
  active: boolean | null;
}

/**
 * Where a user's status comes from: this scan's directory (`complete`: a user of the domain missing from it
 * has been deleted), or, when the users collector failed, what the previous snapshot said about the people
 * it named (not complete: someone missing from it is simply unknown).
 */
export interface UserLookup {
  readonly complete: boolean;
  byId(id: string): KnownUser | undefined;
  byEmail(email: string): KnownUser | undefined;
}

export function directoryLookup(users: UserDirectory): UserLookup {
  return { complete: true, byId: (id) => users.byId.get(id), byEmail: (email) => users.byEmail(email) };
}

function toUser(u: DirectoryUser): WorkspaceUser {
  const suspended = u.suspended === true;
  const archived = u.archived === true;
  return {
    id: u.id,
    email: u.primaryEmail,
    name: u.name?.fullName ?? null,
    isAdmin: u.isAdmin === true,
    suspended,
    archived,
    active: !suspended && !archived,
  };
}

/**
 * users.list over the whole customer (active, suspended and archived users), 500 a page. Users are not
 * non-human identities and produce no records; they give the per-user fan-out for tokens.list and tell
 * whether a grant's principal or an owner is still active.
 */
export async function collectUsers(scan: GoogleScan): Promise<UserDirectory> {
  const { apis, ctx, config } = scan;
  const list: WorkspaceUser[] = [];
  ctx.progress.start('google-workspace users');
  await eachPage(
    USERS_SPEC,
    (pageToken) =>
      callGoogle(apis, USERS_SPEC, UsersPage, () =>
        apis.usersDirectory.users.list({
          customer: config.customerId,
          maxResults: 500,
          pageToken,
          fields: FIELDS,
        }),
      ),
    (page) => {
      for (const u of page.users ?? []) list.push(toUser(u));
      ctx.progress.tick('google-workspace users', page.users?.length ?? 0);
    },
  );
  ctx.progress.done('google-workspace users');
  const suspended = list.filter((u) => u.suspended).length;
  const archived = list.filter((u) => u.archived).length;
  ctx.coverage.countItems(COLLECTOR.users, list.length);
  ctx.coverage.note(COLLECTOR.users, `${list.length} users (${suspended} suspended, ${archived} archived)`);
  const byEmail = new Map(list.map((u) => [u.email.toLowerCase(), u]));
  return { list, byId: new Map(list.map((u) => [u.id, u])), byEmail: (e) => byEmail.get(e.toLowerCase()) };
}

/**
 * Owners kept from the previous snapshot (their source failed this time), with each user's status brought
 * up to date from the lookup where it knows the user.
 */
export function rejudged(owners: readonly PrincipalRef[], users: UserLookup): PrincipalRef[] {
  return owners.map((o) => {
    if (o.type !== 'user') return o;
    const u = users.byId(o.id) ?? (o.name ? users.byEmail(o.name) : undefined);
    return u ? { ...o, id: u.id, active: u.active } : o;
  });
}

/**
 * Whether every user among `owners` could be judged: always with this scan's directory; with the previous
 * snapshot's statuses only for the users it named. Otherwise an owner's `active: null` means "directory
 * unavailable", not "outside account", and the identity's owners are not known this time.
 */
export function ownersJudged(owners: readonly PrincipalRef[], users: UserLookup): boolean {
  return users.complete || owners.every((o) => o.type !== 'user' || users.byId(o.id) !== undefined);
}

/**
 * Which of `users`, listed earlier in this scan, are gone: asked when a user's tokens.list answered 404,
 * which a deleted user gives ("Resource Not Found: userKey"), but also a transient error. Each is read by
 * id (directory.users.get, with the users.list scope): only one that answers 404 there too is gone. Any
 * other failure throws, so the caller fails rather than report the user's grants removed.
 */
export async function usersGone(scan: GoogleScan, users: readonly WorkspaceUser[]): Promise<Set<string>> {
  const { apis, ctx } = scan;
  const gone = new Set<string>();
  await Promise.all(
    users.map((u) =>
      ctx.limit(async () => {
        try {
          await callGoogle(apis, USER_GET_SPEC, UserId, () =>
            apis.usersDirectory.users.get({ userKey: u.id, fields: 'id' }),
          );
        } catch (err) {
          if (!(err instanceof ApiError && err.status === 404)) throw err;
          gone.add(u.id);
        }
      }),
    ),
  );
  return gone;
}
