import type { admin_directory_v1 } from '@googleapis/admin';
import type { EmulatorContext } from '../platform.js';
import type { EmuRequest, EmuResponse, Route } from '../router.js';
import type { TokenRec, UserRec, WorkspaceData } from './data.js';
import { type ApiFamily, googleError } from './google-errors.js';
import { checkAccess } from './oauth.js';
import { decodePageToken, encodePageToken, etagOf, isResponse, ok, pageSize } from './protocol.js';
import { TOKENS_SHAPE, USERS_SHAPE } from './shapes.js';

const USERS_LIST: ApiFamily = {
  service: 'admin.googleapis.com',
  legacy: true,
  method: 'ccc.hosted.frontend.directory.v1.DirectoryUsers.List',
};
const TOKENS_LIST: ApiFamily = {
  service: 'admin.googleapis.com',
  legacy: true,
  method: 'ccc.hosted.frontend.directory.v1.DirectoryTokens.List',
};

const SCOPE = 'https://www.googleapis.com/auth/';
/** Scopes the discovery document accepts per method. */
const USERS_LIST_SCOPES = [
  `${SCOPE}admin.directory.user`,
  `${SCOPE}admin.directory.user.readonly`,
  `${SCOPE}cloud-platform`,
];
const TOKENS_LIST_SCOPES = [`${SCOPE}admin.directory.user.security`];

/** The Directory API says a user who never signed in last logged in at the epoch. */
const NEVER = '1970-01-01T00:00:00.000Z';

function withMillis(ts: string): string {
  return new Date(ts).toISOString();
}

export function userResource(u: UserRec, world: WorkspaceData): admin_directory_v1.Schema$User {
  const user: admin_directory_v1.Schema$User = {
    kind: 'admin#directory#user',
    id: u.id,
    etag: etagOf('user', u),
    primaryEmail: u.email,
    name: { givenName: u.givenName, familyName: u.familyName, fullName: `${u.givenName} ${u.familyName}` },
    isAdmin: u.admin,
    isDelegatedAdmin: false,
    lastLoginTime: u.lastLoginAt ? withMillis(u.lastLoginAt) : NEVER,
    creationTime: withMillis(u.createdAt),
    agreedToTerms: u.lastLoginAt !== null,
    suspended: u.suspended,
    archived: u.archived,
    changePasswordAtNextLogin: false,
    ipWhitelisted: false,
    emails: [{ address: u.email, primary: true }],
    customerId: world.customer.id,
    orgUnitPath: u.orgUnit,
    isMailboxSetup: true,
    isEnrolledIn2Sv: u.enrolledIn2Sv,
    isEnforcedIn2Sv: false,
    includeInGlobalAddressList: true,
  };
  if (u.suspensionReason) user.suspensionReason = u.suspensionReason;
  return user;
}

export function tokenResource(t: TokenRec): admin_directory_v1.Schema$Token {
  return {
    kind: 'admin#directory#token',
    etag: etagOf('token', t),
    clientId: t.clientId,
    displayText: t.displayText,
    anonymous: t.anonymous,
    nativeApp: t.nativeApp,
    userKey: t.userId,
    scopes: t.scopes,
  };
}

export function directoryRoutes(data: () => WorkspaceData | undefined, ctx: EmulatorContext): Route[] {
  const absent = (): EmuResponse => googleError(404, 'Not Found', { reason: 'notFound' });
  return [
    {
      service: 'google',
      method: 'GET',
      pattern: '/admin/directory/v1/users',
      handler: (req: EmuRequest) => {
        const world = data();
        if (!world) return absent();
        const access = checkAccess(req, ctx, world, {
          scopes: USERS_LIST_SCOPES,
          admin: true,
          api: USERS_LIST,
        });
        if (isResponse(access)) return access;
        const customer = req.query.get('customer');
        const domain = req.query.get('domain');
        if (!customer && !domain) return googleError(400, 'Bad Request', { reason: 'badRequest' });
        if (customer && customer !== 'my_customer' && customer !== world.customer.id) {
          return googleError(400, 'Bad Request', { reason: 'badRequest' });
        }
        if (domain && domain.toLowerCase() !== world.customer.domain.toLowerCase()) {
          return googleError(403, 'Not Authorized to access this resource/api', { reason: 'forbidden' });
        }
        if (req.query.get('query')) {
          return googleError(400, 'Invalid Input: query (not supported by the emulator)', {
            reason: 'invalid',
          });
        }
        const max = pageSize(req, USERS_LIST, 'maxResults', { def: 100, max: 500, clamp: false });
        if (isResponse(max)) return max;
        const page = decodePageToken(req, USERS_LIST);
        if (isResponse(page)) return page;
        const body: admin_directory_v1.Schema$Users = {
          kind: 'admin#directory#users',
          etag: etagOf('users', req.query.toString()),
        };
        // showDeleted=true lists users deleted in the last 20 days; the emulator models none.
        if (req.query.get('showDeleted') === 'true') return ok(req, USERS_LIST, body, USERS_SHAPE);
        const start = page.cursor ? Number(page.cursor) : 0;
        const end = Math.min(start + max, world.userCount);
        const users: admin_directory_v1.Schema$User[] = [];
        for (let i = start; i < end; i++) users.push(userResource(world.userAt(i), world));
        if (users.length > 0) body.users = users;
        if (end < world.userCount) body.nextPageToken = encodePageToken(req, String(end));
        return ok(req, USERS_LIST, body, USERS_SHAPE);
      },
    },
    {
      service: 'google',
      method: 'GET',
      pattern: '/admin/directory/v1/users/{userKey}/tokens',
      handler: (req: EmuRequest) => {
        const world = data();
        if (!world) return absent();
        const access = checkAccess(req, ctx, world, {
          scopes: TOKENS_LIST_SCOPES,
          admin: true,
          api: TOKENS_LIST,
        });
        if (isResponse(access)) return access;
        const user = world.findUser(req.params.userKey!);
        if (!user) return googleError(404, 'Resource Not Found: userKey', { reason: 'notFound' });
        const tokens = world.tokensOf(user);
        const body: admin_directory_v1.Schema$Tokens = {
          kind: 'admin#directory#tokenList',
          etag: etagOf('tokens', user.id),
        };
        if (tokens.length > 0) body.items = tokens.map(tokenResource);
        return ok(req, TOKENS_LIST, body, TOKENS_SHAPE);
      },
    },
  ];
}
