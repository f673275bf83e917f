import { defineCollector } from '../../../src/connector/collector.js';
import type { ConnectorContext } from '../../../src/connector/context.js';
import { ApiError } from '../../../src/errors.js';
import type { PersonInput } from '../../../src/model/person.js';
import { SCOPES } from '../auth.js';
import { type CallSpec, callGoogle, eachPage, type GoogleApis, toApiError } from '../client.js';
import type { UserLookup } from '../records.js';
import { type DirectoryUser, UserId, UsersPage } from '../schema.js';
import { type GoogleSession, PLATFORM, previousScan } from '../session.js';

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
 * non-human identities; they give the per-user fan-out for tokens.list and tell whether a grant's
 * principal or an owner is still active. Each is emitted as a person record (`listing: directory`):
 * users.list lists every user of the customer, so one missing from a complete list was deleted.
 */
export const users = defineCollector<GoogleSession, UserDirectory>({
  name: 'users',
  description: 'Users of the domain (active, suspended, archived): who grants act for and who owns what',
  permissions: [`domain-wide delegation of ${SCOPES.users}`, 'admin privilege Users › Read'],
  async fetch(session, { name, ctx }) {
    if (session.usersTokenRefused)
      throw toApiError(session.usersTokenRefused.refused, USERS_SPEC, session.apis.tokenUrl);
    const list: WorkspaceUser[] = [];
    ctx.progress.start('google-workspace: users');
    await eachPage(
      USERS_SPEC,
      (pageToken) =>
        callGoogle(session.apis, USERS_SPEC, UsersPage, () =>
          session.apis.usersDirectory.users.list({
            customer: session.config.customerId,
            maxResults: 500,
            pageToken,
            fields: FIELDS,
          }),
        ),
      (page) => {
        for (const u of page.users ?? []) list.push(toUser(u));
        ctx.progress.tick('google-workspace: users', page.users?.length ?? 0);
      },
    );
    ctx.progress.done('google-workspace: users');
    const suspended = list.filter((u) => u.suspended).length;
    const archived = list.filter((u) => u.archived).length;
    ctx.coverage.note(name, `${list.length} users (${suspended} suspended, ${archived} archived)`);
    // No records of its own, but complete only if the scan can store what the others emit.
    previousScan(session);
    return userDirectory(list);
  },
  *transform(users, session, { name }) {
    for (const u of users.list) {
      yield {
        type: 'person',
        platform: PLATFORM,
        tenant: session.tenant,
        nativeId: u.id,
        name: u.email,
        displayName: u.name,
        // users.list: `suspended` and `archived` (Admin SDK Directory API, users resource).
        status: u.suspended ? 'suspended' : u.archived ? 'archived' : 'active',
        listing: 'directory',
        attributes: { isAdmin: u.isAdmin },
        collector: name,
      } satisfies PersonInput;
    }
  },
});

/** Users' status as this scan's directory says (complete: a user of the domain missing from it is deleted). */
export function directoryLookup(users: UserDirectory): UserLookup {
  return { complete: true, byId: (id) => users.byId.get(id), byEmail: (email) => users.byEmail(email) };
}

export function userDirectory(list: WorkspaceUser[]): UserDirectory {
  const byEmail = new Map(list.map((u) => [u.email.toLowerCase(), u]));
  return { list, byId: new Map(list.map((u) => [u.id, u])), byEmail: (e) => byEmail.get(e.toLowerCase()) };
}

/**
 * Which of `users`, listed earlier in this scan, are gone: asked when a user's tokens.list answered 404,
 * which a deleted user gives ("Resource Not Found: userKey"), but also a transient error. Each is read by
 * id (directory.users.get, with the users.list scope): only one that answers 404 there too is gone. Any
 * other failure throws, so the caller fails rather than report the user's grants removed.
 */
export async function usersGone(
  apis: GoogleApis,
  ctx: ConnectorContext,
  users: readonly WorkspaceUser[],
): Promise<Set<string>> {
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
