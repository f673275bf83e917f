/**
 * Example API responses for the contract test (`contract.test.ts`), one per call the connector makes.
 *
 * Provenance. Google's reference pages for these methods publish the response *structure* ("JSON
 * representation", generated from the discovery documents) but no filled-in JSON example, so each
 * example below is constructed strictly from the discovery schema named in its `schema` field: every
 * field is one the schema defines, with its documented type and format (RFC 3339 timestamps,
 * int64 as strings, enums from the schema's `enum`), and nothing the schema lacks. The contract test
 * checks that claim: each example is validated against the `Schema$…` interface of the generated
 * client (`src/emulator/google-workspace/schema-check.ts`) before it is fed to the connector.
 * Values follow the documents' own examples where they give one:
 *
 * - Directory `users` / `tokens`: schemas `Users`/`User` and `Tokens`/`Token` of `admin:directory_v1`
 *   (googleapis/google-api-go-client admin/directory/v1/admin-api.json); `kind` values are the schemas'
 *   `default`s; `lastLoginTime` / `creationTime` RFC 3339 (`format: date-time`).
 * - Reports `activities` (token and admin applications): schema `Activities`/`Activity` of
 *   `admin:reports_v1`. Event and parameter names from the activity appendix pages:
 *   developers.google.com/workspace/admin/reports/v1/appendix/activity/oauth-token (`authorize`,
 *   `revoke`, `activity` with `client_id`, `app_name`, `scope` …) and
 *   developers.google.com/workspace/admin/reports/v1/appendix/activity/admin-security-settings
 *   (`AUTHORIZE_API_CLIENT_ACCESS` / `REMOVE_API_CLIENT_ACCESS` with `API_CLIENT_NAME`, `API_SCOPES`).
 *   The customer id `C03az79cb` is the one the Reports guide's examples use
 *   (developers.google.com/workspace/admin/reports/v1/guides/manage-audit-admin).
 * - Resource Manager `projects.search` and `getIamPolicy`: schemas `SearchProjectsResponse`/`Project`
 *   (`name` "projects/{project_number}", `state` enum) and `Policy`/`Binding` of
 *   `cloudresourcemanager:v3`; the project number `415104041262` is the one the v3 document's
 *   descriptions use ("for example, `projects/415104041262`").
 * - IAM `serviceAccounts.list` and `keys.list`: schemas `ListServiceAccountsResponse`/`ServiceAccount`
 *   and `ListServiceAccountKeysResponse`/`ServiceAccountKey` of `iam:v1`; key `name` in the documented
 *   form `projects/{PROJECT_ID}/serviceAccounts/{ACCOUNT}/keys/{key}`; `keyAlgorithm`, `keyOrigin`,
 *   `keyType` from their enums; `validBeforeTime` 9999-12-31T23:59:59Z for a key that never expires.
 */
export interface ContractExample {
  /** Generated-client module and `Schema$…` type the example is built from. */
  schema: { module: string; type: string };
  body: Record<string, unknown>;
}

const CUSTOMER = 'C03az79cb';
const DOMAIN = 'example.com';
export const ADMIN_ID = '114255412283456789012';
export const USER_ID = '104536725918340526471';
export const APP_CLIENT_ID = '1234567890-abcdefghijklmnopqrstuvwxyz012345.apps.googleusercontent.com';
export const DWD_CLIENT_ID = '109876543210987654321';
export const PROJECT_ID = 'example-project';
export const PROJECT_NUMBER = '415104041262';
export const SA_EMAIL = `sync-bot@${PROJECT_ID}.iam.gserviceaccount.com`;
export const KEY_NAME = `projects/${PROJECT_ID}/serviceAccounts/${SA_EMAIL}/keys/1f3b5c7e9a1d3f5b7c9e1a3c5e7a9c1e3a5c7e9a`;

const DIRECTORY = '@googleapis/admin/build/directory_v1.d.ts';
const REPORTS = '@googleapis/admin/build/reports_v1.d.ts';
const CRM = '@googleapis/cloudresourcemanager/build/v3.d.ts';
const IAM = '@googleapis/iam/build/v1.d.ts';

export const USERS_LIST: ContractExample = {
  schema: { module: DIRECTORY, type: 'Schema$Users' },
  body: {
    kind: 'admin#directory#users',
    etag: '"Tx0P2f8yGzI7kZ4bQ3X9/ab12Cd34Ef56Gh78Ij90"',
    users: [
      {
        kind: 'admin#directory#user',
        id: ADMIN_ID,
        etag: '"Tx0P2f8yGzI7kZ4bQ3X9/u1"',
        primaryEmail: `liz@${DOMAIN}`,
        name: { givenName: 'Elizabeth', familyName: 'Smith', fullName: 'Elizabeth Smith' },
        isAdmin: true,
        isDelegatedAdmin: false,
        lastLoginTime: '2026-10-30T09:12:44.000Z',
        creationTime: '2019-03-05T17:21:08.000Z',
        agreedToTerms: true,
        suspended: false,
        archived: false,
        changePasswordAtNextLogin: false,
        ipWhitelisted: false,
        emails: [{ address: `liz@${DOMAIN}`, primary: true }],
        customerId: CUSTOMER,
        orgUnitPath: '/',
        isMailboxSetup: true,
        isEnrolledIn2Sv: true,
        isEnforcedIn2Sv: true,
        includeInGlobalAddressList: true,
      },
      {
        kind: 'admin#directory#user',
        id: USER_ID,
        etag: '"Tx0P2f8yGzI7kZ4bQ3X9/u2"',
        primaryEmail: `jan@${DOMAIN}`,
        name: { givenName: 'Jan', familyName: 'Novak', fullName: 'Jan Novak' },
        isAdmin: false,
        isDelegatedAdmin: false,
        lastLoginTime: '2026-06-01T08:00:00.000Z',
        creationTime: '2021-01-11T10:00:00.000Z',
        agreedToTerms: true,
        suspended: true,
        suspensionReason: 'ADMIN',
        archived: false,
        changePasswordAtNextLogin: false,
        ipWhitelisted: false,
        customerId: CUSTOMER,
        orgUnitPath: '/Sales',
        isMailboxSetup: true,
        isEnrolledIn2Sv: false,
        isEnforcedIn2Sv: false,
        includeInGlobalAddressList: true,
      },
    ],
  },
};

/** tokens.list of USER_ID; the admin holds no token (Tokens without `items`). */
export const TOKENS_LIST: ContractExample = {
  schema: { module: DIRECTORY, type: 'Schema$Tokens' },
  body: {
    kind: 'admin#directory#tokenList',
    etag: '"Tx0P2f8yGzI7kZ4bQ3X9/t1"',
    items: [
      {
        kind: 'admin#directory#token',
        etag: '"Tx0P2f8yGzI7kZ4bQ3X9/t2"',
        clientId: APP_CLIENT_ID,
        displayText: 'Example CRM Sync',
        anonymous: false,
        nativeApp: false,
        userKey: USER_ID,
        scopes: [
          'openid',
          'https://www.googleapis.com/auth/userinfo.email',
          'https://www.googleapis.com/auth/drive',
        ],
      },
    ],
  },
};
export const TOKENS_LIST_EMPTY: ContractExample = {
  schema: { module: DIRECTORY, type: 'Schema$Tokens' },
  body: { kind: 'admin#directory#tokenList', etag: '"Tx0P2f8yGzI7kZ4bQ3X9/t0"' },
};

const activity = (
  app: string,
  time: string,
  qualifier: string,
  actor: { email: string; profileId: string },
  event: { type: string; name: string; parameters: Array<Record<string, unknown>> },
) => ({
  kind: 'admin#reports#activity',
  id: { time, uniqueQualifier: qualifier, applicationName: app, customerId: CUSTOMER },
  etag: `"JDMC8884sebSctZ17CIssbQ/${qualifier}"`,
  actor: { callerType: 'USER', email: actor.email, profileId: actor.profileId },
  ipAddress: '203.0.113.7',
  ownerDomain: DOMAIN,
  events: [event],
});

/** Reports `token` application, eventName=authorize. */
export const TOKEN_AUTHORIZE: ContractExample = {
  schema: { module: REPORTS, type: 'Schema$Activities' },
  body: {
    kind: 'admin#reports#activities',
    etag: '"JDMC8884sebSctZ17CIssbQ/a1"',
    items: [
      activity(
        'token',
        '2026-09-14T15:03:27.412Z',
        '-5174828301287465519',
        { email: `jan@${DOMAIN}`, profileId: USER_ID },
        {
          type: 'auth',
          name: 'authorize',
          parameters: [
            { name: 'client_id', value: APP_CLIENT_ID },
            { name: 'app_name', value: 'Example CRM Sync' },
            { name: 'client_type', value: 'WEB' },
            {
              name: 'scope',
              multiValue: [
                'openid',
                'https://www.googleapis.com/auth/userinfo.email',
                'https://www.googleapis.com/auth/drive',
              ],
            },
          ],
        },
      ),
    ],
  },
};

/** Reports `token` application, eventName=activity, filters=client_id==APP_CLIENT_ID, maxResults=1. */
export const TOKEN_ACTIVITY: ContractExample = {
  schema: { module: REPORTS, type: 'Schema$Activities' },
  body: {
    kind: 'admin#reports#activities',
    etag: '"JDMC8884sebSctZ17CIssbQ/a2"',
    items: [
      activity(
        'token',
        '2026-10-29T06:41:02.118Z',
        '8123471930284711932',
        { email: `jan@${DOMAIN}`, profileId: USER_ID },
        {
          type: 'auth',
          name: 'activity',
          parameters: [
            { name: 'client_id', value: APP_CLIENT_ID },
            { name: 'app_name', value: 'Example CRM Sync' },
            { name: 'api_name', value: 'drive' },
            { name: 'method_name', value: 'drive.files.list' },
            { name: 'num_response_bytes', intValue: '5321' },
          ],
        },
      ),
    ],
  },
};

/** An empty report (Activities without `items`), e.g. eventName=revoke with no event in the window. */
export const NO_ACTIVITIES: ContractExample = {
  schema: { module: REPORTS, type: 'Schema$Activities' },
  body: { kind: 'admin#reports#activities', etag: '"JDMC8884sebSctZ17CIssbQ/a0"' },
};

/** Reports `admin` application, eventName=AUTHORIZE_API_CLIENT_ACCESS. */
export const ADMIN_AUTHORIZE_API_CLIENT: ContractExample = {
  schema: { module: REPORTS, type: 'Schema$Activities' },
  body: {
    kind: 'admin#reports#activities',
    etag: '"JDMC8884sebSctZ17CIssbQ/a3"',
    items: [
      activity(
        'admin',
        '2026-08-02T11:20:45.663Z',
        '3391027384756102938',
        { email: `liz@${DOMAIN}`, profileId: ADMIN_ID },
        {
          type: 'DOMAIN_SETTINGS',
          name: 'AUTHORIZE_API_CLIENT_ACCESS',
          parameters: [
            { name: 'API_CLIENT_NAME', value: DWD_CLIENT_ID },
            {
              name: 'API_SCOPES',
              multiValue: [
                'https://www.googleapis.com/auth/admin.directory.user.readonly',
                'https://www.googleapis.com/auth/gmail.readonly',
              ],
            },
          ],
        },
      ),
    ],
  },
};

export const PROJECTS_SEARCH: ContractExample = {
  schema: { module: CRM, type: 'Schema$SearchProjectsResponse' },
  body: {
    projects: [
      {
        name: `projects/${PROJECT_NUMBER}`,
        parent: 'organizations/123456789012',
        projectId: PROJECT_ID,
        state: 'ACTIVE',
        displayName: 'Example Project',
        createTime: '2020-04-01T12:00:00.000Z',
        updateTime: '2024-02-01T12:00:00.000Z',
        etag: 'W/"a1b2c3d4e5f6"',
        labels: { env: 'prod' },
      },
    ],
  },
};

export const PROJECT_POLICY: ContractExample = {
  schema: { module: CRM, type: 'Schema$Policy' },
  body: {
    version: 1,
    etag: 'BwWWja0YfJA=',
    bindings: [
      {
        role: 'roles/owner',
        members: [`user:liz@${DOMAIN}`, `deleted:user:gone@${DOMAIN}?uid=123456789012345678901`],
      },
      { role: 'roles/viewer', members: [`group:auditors@${DOMAIN}`] },
    ],
  },
};

export const SERVICE_ACCOUNTS_LIST: ContractExample = {
  schema: { module: IAM, type: 'Schema$ListServiceAccountsResponse' },
  body: {
    accounts: [
      {
        name: `projects/${PROJECT_ID}/serviceAccounts/${SA_EMAIL}`,
        projectId: PROJECT_ID,
        uniqueId: DWD_CLIENT_ID,
        email: SA_EMAIL,
        displayName: 'Directory sync bot',
        description: 'Reads the directory for the HR system',
        etag: 'MDEwMjE5MjA=',
        oauth2ClientId: DWD_CLIENT_ID,
      },
    ],
  },
};

export const KEYS_LIST: ContractExample = {
  schema: { module: IAM, type: 'Schema$ListServiceAccountKeysResponse' },
  body: {
    keys: [
      {
        name: KEY_NAME,
        validAfterTime: '2025-01-15T10:00:00Z',
        validBeforeTime: '9999-12-31T23:59:59Z',
        keyAlgorithm: 'KEY_ALG_RSA_2048',
        keyOrigin: 'GOOGLE_PROVIDED',
        keyType: 'USER_MANAGED',
      },
    ],
  },
};

export const ALL_EXAMPLES: Readonly<Record<string, ContractExample>> = {
  USERS_LIST,
  TOKENS_LIST,
  TOKENS_LIST_EMPTY,
  TOKEN_AUTHORIZE,
  TOKEN_ACTIVITY,
  NO_ACTIVITIES,
  ADMIN_AUTHORIZE_API_CLIENT,
  PROJECTS_SEARCH,
  PROJECT_POLICY,
  SERVICE_ACCOUNTS_LIST,
  KEYS_LIST,
};
