import type { admin_directory_v1, admin_reports_v1 } from '@googleapis/admin';
import type { cloudresourcemanager_v3 } from '@googleapis/cloudresourcemanager';
import type { iam_v1 } from '@googleapis/iam';
import type { Shape } from './partial-response.js';

/**
 * Field shapes of the responses the emulator serves, for checking `fields=` selections. Each map must
 * list exactly the keys of the generated client's schema type (`satisfies Record<keyof …>`), so a field
 * that Google adds or renames shows up as a type error here.
 */
type ShapeFor<T> = Record<keyof T, Shape | 'leaf' | 'any'>;

const USER_NAME = {
  displayName: 'leaf',
  familyName: 'leaf',
  fullName: 'leaf',
  givenName: 'leaf',
} as const satisfies ShapeFor<admin_directory_v1.Schema$UserName>;

export const USER_SHAPE = {
  addresses: 'any',
  agreedToTerms: 'leaf',
  aliases: 'leaf',
  archivalTime: 'leaf',
  archived: 'leaf',
  changePasswordAtNextLogin: 'leaf',
  creationTime: 'leaf',
  customerId: 'leaf',
  customSchemas: 'any',
  deletionTime: 'leaf',
  emails: 'any',
  etag: 'leaf',
  externalIds: 'any',
  gender: 'any',
  guestAccountInfo: 'any',
  hashFunction: 'leaf',
  id: 'leaf',
  ims: 'any',
  includeInGlobalAddressList: 'leaf',
  ipWhitelisted: 'leaf',
  isAdmin: 'leaf',
  isDelegatedAdmin: 'leaf',
  isEnforcedIn2Sv: 'leaf',
  isEnrolledIn2Sv: 'leaf',
  isGuestUser: 'leaf',
  isMailboxSetup: 'leaf',
  keywords: 'any',
  kind: 'leaf',
  languages: 'any',
  lastLoginTime: 'leaf',
  locations: 'any',
  name: USER_NAME,
  nonEditableAliases: 'leaf',
  notes: 'any',
  organizations: 'any',
  orgUnitPath: 'leaf',
  password: 'leaf',
  phones: 'any',
  posixAccounts: 'any',
  primaryEmail: 'leaf',
  recoveryEmail: 'leaf',
  recoveryPhone: 'leaf',
  relations: 'any',
  sshPublicKeys: 'any',
  suspended: 'leaf',
  suspensionReason: 'leaf',
  suspensionTime: 'leaf',
  thumbnailPhotoEtag: 'leaf',
  thumbnailPhotoUrl: 'leaf',
  websites: 'any',
} as const satisfies ShapeFor<admin_directory_v1.Schema$User>;

export const USERS_SHAPE = {
  etag: 'leaf',
  kind: 'leaf',
  nextPageToken: 'leaf',
  trigger_event: 'leaf',
  users: USER_SHAPE,
} as const satisfies ShapeFor<admin_directory_v1.Schema$Users>;

const TOKEN = {
  anonymous: 'leaf',
  clientId: 'leaf',
  displayText: 'leaf',
  etag: 'leaf',
  kind: 'leaf',
  nativeApp: 'leaf',
  scopes: 'leaf',
  userKey: 'leaf',
} as const satisfies ShapeFor<admin_directory_v1.Schema$Token>;

export const TOKENS_SHAPE = {
  etag: 'leaf',
  items: TOKEN,
  kind: 'leaf',
} as const satisfies ShapeFor<admin_directory_v1.Schema$Tokens>;

type ActivityEvent = NonNullable<admin_reports_v1.Schema$Activity['events']>[number];
type ActivityParameter = NonNullable<ActivityEvent['parameters']>[number];

const PARAMETER = {
  boolValue: 'leaf',
  intValue: 'leaf',
  messageValue: 'any',
  multiIntValue: 'leaf',
  multiMessageValue: 'any',
  multiValue: 'leaf',
  name: 'leaf',
  value: 'leaf',
} as const satisfies ShapeFor<ActivityParameter>;

const ACTIVITY = {
  actor: {
    agentAttributionInfo: 'any',
    applicationInfo: 'any',
    callerType: 'leaf',
    email: 'leaf',
    key: 'leaf',
    profileId: 'leaf',
  } satisfies ShapeFor<NonNullable<admin_reports_v1.Schema$Activity['actor']>>,
  etag: 'leaf',
  events: {
    name: 'leaf',
    parameters: PARAMETER,
    resourceIds: 'leaf',
    sensitiveParameters: 'any',
    status: 'any',
    type: 'leaf',
  } satisfies ShapeFor<ActivityEvent>,
  id: {
    applicationName: 'leaf',
    customerId: 'leaf',
    time: 'leaf',
    uniqueQualifier: 'leaf',
  } satisfies ShapeFor<NonNullable<admin_reports_v1.Schema$Activity['id']>>,
  ipAddress: 'leaf',
  isAgenticAction: 'leaf',
  kind: 'leaf',
  networkInfo: 'any',
  ownerDomain: 'leaf',
  resourceDetails: 'any',
  userDeviceInfo: 'any',
} as const satisfies ShapeFor<admin_reports_v1.Schema$Activity>;

export const ACTIVITIES_SHAPE = {
  etag: 'leaf',
  items: ACTIVITY,
  kind: 'leaf',
  nextPageToken: 'leaf',
} as const satisfies ShapeFor<admin_reports_v1.Schema$Activities>;

const SERVICE_ACCOUNT = {
  description: 'leaf',
  disabled: 'leaf',
  displayName: 'leaf',
  email: 'leaf',
  etag: 'leaf',
  name: 'leaf',
  oauth2ClientId: 'leaf',
  projectId: 'leaf',
  uniqueId: 'leaf',
} as const satisfies ShapeFor<iam_v1.Schema$ServiceAccount>;

export const SERVICE_ACCOUNTS_SHAPE = {
  accounts: SERVICE_ACCOUNT,
  nextPageToken: 'leaf',
} as const satisfies ShapeFor<iam_v1.Schema$ListServiceAccountsResponse>;

const KEY = {
  disabled: 'leaf',
  disableReason: 'leaf',
  extendedStatus: { key: 'leaf', value: 'leaf' } satisfies ShapeFor<iam_v1.Schema$ExtendedStatus>,
  keyAlgorithm: 'leaf',
  keyOrigin: 'leaf',
  keyType: 'leaf',
  name: 'leaf',
  privateKeyData: 'leaf',
  privateKeyType: 'leaf',
  publicKeyData: 'leaf',
  validAfterTime: 'leaf',
  validBeforeTime: 'leaf',
} as const satisfies ShapeFor<iam_v1.Schema$ServiceAccountKey>;

export const KEYS_SHAPE = {
  keys: KEY,
} as const satisfies ShapeFor<iam_v1.Schema$ListServiceAccountKeysResponse>;

const PROJECT = {
  configuredCapabilities: 'leaf',
  createTime: 'leaf',
  deleteTime: 'leaf',
  displayName: 'leaf',
  etag: 'leaf',
  labels: 'any',
  name: 'leaf',
  parent: 'leaf',
  projectId: 'leaf',
  state: 'leaf',
  tags: 'any',
  updateTime: 'leaf',
} as const satisfies ShapeFor<cloudresourcemanager_v3.Schema$Project>;

export const PROJECTS_SHAPE = {
  nextPageToken: 'leaf',
  projects: PROJECT,
} as const satisfies ShapeFor<cloudresourcemanager_v3.Schema$SearchProjectsResponse>;

export const POLICY_SHAPE = {
  auditConfigs: 'any',
  bindings: {
    condition: 'any',
    members: 'leaf',
    role: 'leaf',
  } satisfies ShapeFor<cloudresourcemanager_v3.Schema$Binding>,
  etag: 'leaf',
  version: 'leaf',
} as const satisfies ShapeFor<cloudresourcemanager_v3.Schema$Policy>;
