import { createHash } from 'node:crypto';
import type { ScannerSpec } from './world-schema.js';

/**
 * The organisation the Google emulator serves, as an interface over either an explicit world (small,
 * materialised at load) or a seeded generator (items computed on the fly from (seed, index)). Routes only
 * talk to this interface, so both kinds of world get identical API behaviour.
 */
export interface WorkspaceData {
  readonly customer: { id: string; domain: string; organizationId: string };
  readonly scanner: ScannerSpec;
  readonly retentionDays: number;
  readonly now: Date;
  readonly userCount: number;
  userAt(index: number): UserRec;
  /** By primary email (case-insensitive) or numeric id. */
  findUser(key: string): UserRec | undefined;
  /** tokens.list for a user: one entry per client id, scopes merged. */
  tokensOf(user: UserRec): TokenRec[];
  /** Reports activities, newest first, within retention. `cursor` is this source's own opaque position. */
  events(query: EventQuery, cursor: string | null, max: number): { items: EventRec[]; cursor: string | null };
  readonly projectCount: number;
  projectAt(index: number): ProjectRec;
  /** By project id or project number. */
  findProject(key: string): ProjectRec | undefined;
  serviceAccounts(project: ProjectRec): ServiceAccountRec[];
  keys(account: ServiceAccountRec): KeyRec[];
}

export interface UserRec {
  id: string;
  email: string;
  givenName: string;
  familyName: string;
  admin: boolean;
  suspended: boolean;
  suspensionReason: string | null;
  archived: boolean;
  createdAt: string;
  lastLoginAt: string | null;
  orgUnit: string;
  enrolledIn2Sv: boolean;
}

export interface TokenRec {
  clientId: string;
  displayText: string;
  scopes: string[];
  nativeApp: boolean;
  anonymous: boolean;
  userId: string;
}

export interface ParamRec {
  name: string;
  value?: string;
  intValue?: string;
  boolValue?: boolean;
  multiValue?: string[];
  multiMessageValue?: Array<{ parameter: Array<{ name: string; value?: string; multiValue?: string[] }> }>;
}

export interface EventRec {
  app: 'token' | 'admin';
  type: string;
  name: string;
  /** ISO timestamp with milliseconds, as the Reports API sends it. */
  time: string;
  uniqueQualifier: string;
  actorEmail: string;
  actorProfileId: string;
  ipAddress: string;
  params: ParamRec[];
}

export interface EventFilter {
  name: string;
  op: '==' | '<>';
  value: string;
}

export interface EventQuery {
  app: 'token' | 'admin';
  eventName: string | null;
  /** Epoch ms bounds (inclusive start, exclusive end). */
  start: number;
  end: number;
  filters: EventFilter[];
  /** Only events whose actor is this user. */
  actorId: string | null;
}

export interface ProjectRec {
  projectId: string;
  number: string;
  displayName: string;
  parent: string;
  state: string;
  createdAt: string;
  /** IAM members holding roles/owner (`user:…`, `group:…`). */
  owners: string[];
  labels: Record<string, string>;
}

export interface ServiceAccountRec {
  projectId: string;
  email: string;
  uniqueId: string;
  displayName: string | null;
  description: string | null;
  disabled: boolean;
}

export interface KeyRec {
  name: string;
  keyType: 'USER_MANAGED' | 'SYSTEM_MANAGED';
  origin: 'GOOGLE_PROVIDED' | 'USER_PROVIDED';
  algorithm: string;
  validAfter: string;
  validBefore: string;
  disabled: boolean;
  exposed: boolean;
}

export const NEVER_EXPIRES = '9999-12-31T23:59:59Z';
export const DAY_MS = 86_400_000;

/** Deterministic digits from a string (ids the world leaves out). */
export function digitsFrom(text: string, length: number, lead = '1'): string {
  const hex = createHash('sha256').update(text).digest('hex');
  let digits = '';
  for (let i = 0; digits.length < length - lead.length; i += 2) {
    digits += String(Number.parseInt(hex.slice(i % 64, (i % 64) + 2), 16) % 10);
  }
  return lead + digits;
}

export function hexFrom(text: string, length: number): string {
  return createHash('sha256').update(text).digest('hex').slice(0, length);
}

/** The Reports API sends times with milliseconds. */
export function reportsTime(ms: number): string {
  return new Date(ms).toISOString();
}

/** 32-bit integer hash of integers: fast and stable, for the seeded generator's hot loops. */
export function hashInts(...values: number[]): number {
  let h = 0x9747b28c;
  for (const v of values) {
    h = Math.imul(h ^ (v | 0), 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    h ^= h >>> 16;
    // Fold in the high part of values beyond 32 bits.
    if (v > 0xffffffff) h = Math.imul(h ^ Math.floor(v / 0x100000000), 0x27d4eb2f);
  }
  return h >>> 0;
}

/** Uniform in [0, 1) from integers. */
export function unitFrom(...values: number[]): number {
  return hashInts(...values) / 0x100000000;
}

/** A product bucket and API for an activity event, by the first scope the grant holds. */
export function apiOf(scopes: readonly string[]): { api: string; method: string; bucket: string } {
  const s = scopes.find((x) => x.startsWith('https://')) ?? '';
  if (s.includes('mail.google.com') || s.includes('/gmail')) {
    return { api: 'gmail', method: 'gmail.users.messages.list', bucket: 'GMAIL' };
  }
  if (s.includes('/drive')) return { api: 'drive', method: 'drive.files.list', bucket: 'DRIVE' };
  if (s.includes('/calendar')) return { api: 'calendar', method: 'calendar.events.list', bucket: 'CALENDAR' };
  if (s.includes('/admin.')) return { api: 'admin', method: 'directory.users.list', bucket: 'GSUITE_ADMIN' };
  if (s.includes('/contacts')) return { api: 'people', method: 'people.connections.list', bucket: 'OTHER' };
  return { api: 'oauth2', method: 'oauth2.userinfo.get', bucket: 'IDENTITY' };
}

function bucketOf(scope: string): string {
  return apiOf([scope]).bucket;
}

/** `authorize` / `revoke` event of the `token` application. */
export function tokenGrantEvent(
  name: 'authorize' | 'revoke',
  at: { time: string; uniqueQualifier: string; ipAddress: string },
  user: { email: string; id: string },
  app: { clientId: string; name: string; clientType: string },
  scopes: readonly string[],
): EventRec {
  return {
    app: 'token',
    type: 'auth',
    name,
    ...at,
    actorEmail: user.email,
    actorProfileId: user.id,
    params: [
      { name: 'client_id', value: app.clientId },
      { name: 'app_name', value: app.name },
      { name: 'client_type', value: app.clientType },
      { name: 'scope', multiValue: [...scopes] },
      {
        name: 'scope_data',
        multiMessageValue: scopes.map((s) => ({
          parameter: [
            { name: 'scope_name', value: s },
            { name: 'product_bucket', multiValue: [bucketOf(s)] },
          ],
        })),
      },
    ],
  };
}

/** `activity` event of the `token` application (an API call made with the grant). */
export function tokenActivityEvent(
  at: { time: string; uniqueQualifier: string; ipAddress: string },
  user: { email: string; id: string },
  app: { clientId: string; name: string; clientType: string },
  scopes: readonly string[],
  bytes: number,
): EventRec {
  const { api, method, bucket } = apiOf(scopes);
  return {
    app: 'token',
    type: 'auth',
    name: 'activity',
    ...at,
    actorEmail: user.email,
    actorProfileId: user.id,
    params: [
      { name: 'api_name', value: api },
      { name: 'method_name', value: method },
      { name: 'client_id', value: app.clientId },
      { name: 'app_name', value: app.name },
      { name: 'client_type', value: app.clientType },
      { name: 'num_response_bytes', intValue: String(bytes) },
      { name: 'product_bucket', multiValue: [bucket] },
    ],
  };
}

/** Admin console domain-wide delegation change (`admin` application, DOMAIN_SETTINGS). */
export function delegationEvent(
  name: 'AUTHORIZE_API_CLIENT_ACCESS' | 'REMOVE_API_CLIENT_ACCESS',
  at: { time: string; uniqueQualifier: string; ipAddress: string },
  admin: { email: string; id: string },
  clientId: string,
  scopes: readonly string[],
): EventRec {
  return {
    app: 'admin',
    type: 'DOMAIN_SETTINGS',
    name,
    ...at,
    actorEmail: admin.email,
    actorProfileId: admin.id,
    params: [
      { name: 'API_CLIENT_NAME', value: clientId },
      ...(scopes.length > 0 ? [{ name: 'API_SCOPES', multiValue: [...scopes] }] : []),
    ],
  };
}

/** Whether an event passes a query's name, time, actor and parameter filters. */
export function eventMatches(e: EventRec, q: EventQuery): boolean {
  if (e.app !== q.app) return false;
  if (q.eventName && e.name !== q.eventName) return false;
  const t = Date.parse(e.time);
  if (t < q.start || t >= q.end) return false;
  if (q.actorId && e.actorProfileId !== q.actorId) return false;
  return q.filters.every((f) => {
    const p = e.params.find((x) => x.name === f.name);
    const v = p?.value ?? p?.intValue ?? (p?.boolValue != null ? String(p.boolValue) : undefined);
    return f.op === '==' ? v === f.value : v !== f.value;
  });
}

/** Event metadata that looks real and is stable: a signed 64-bit qualifier and an IP address. */
export function eventMeta(
  time: string,
  salt: string,
): { time: string; uniqueQualifier: string; ipAddress: string } {
  const h = createHash('sha256').update(`${time}|${salt}`).digest();
  const q = h.readBigInt64BE(0);
  return { time, uniqueQualifier: q.toString(), ipAddress: `203.0.113.${h[8]! % 250}` };
}

/** Same as eventMeta but hash-only (no crypto), for the generator's hot paths. */
export function fastEventMeta(
  time: string,
  ...ints: number[]
): { time: string; uniqueQualifier: string; ipAddress: string } {
  const a = hashInts(...ints, 1);
  const b = hashInts(...ints, 2);
  const q = (BigInt(a) << 32n) | BigInt(b);
  return { time, uniqueQualifier: BigInt.asIntN(64, q).toString(), ipAddress: `198.51.100.${a % 250}` };
}
