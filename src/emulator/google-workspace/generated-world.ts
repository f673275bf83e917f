import {
  DAY_MS,
  delegationEvent,
  type EventQuery,
  type EventRec,
  eventMatches,
  fastEventMeta,
  hashInts,
  type KeyRec,
  NEVER_EXPIRES,
  type ProjectRec,
  reportsTime,
  type ServiceAccountRec,
  type TokenRec,
  tokenActivityEvent,
  tokenGrantEvent,
  type UserRec,
  unitFrom,
  type WorkspaceData,
} from './data.js';
import { type GoogleWorkspaceSection, READ_SCANNER_SCOPES, type ScannerSpec } from './world-schema.js';

/**
 * A seeded synthetic domain (`generate: { seed, users: 20000, … }`). Nothing is materialised per user:
 * every user, grant, event, project, service account and key is a pure function of (seed, index).
 *
 * Grants live in slots: user u has `tokenSlotsPerUser` slots, slot p = u·T + s. Each slot is empty or
 * holds one grant with an app, an authorize time, maybe a revoke time, and `activityEventsPerGrant` API-use
 * events if it is in use. Event times are laid out by affine permutations of the slot (or use) index, one
 * per event name, so the Reports API's newest-first order is just ascending permutation index: any page is
 * computed directly, never sorted.
 */
export function generatedWorkspace(section: GoogleWorkspaceSection, now: Date): WorkspaceData {
  const g = section.generate!;
  const { seed } = g;
  const domain = section.customer.domain;
  const U = g.users;
  const T = g.tokenSlotsPerUser;
  const M = U * T;
  const nowMs = now.getTime();
  const scanner: ScannerSpec = section.scanner ?? {
    serviceAccount: 'grantscope-scanner@gen-secops.iam.gserviceaccount.com',
    clientId: '100000000000000000001',
    subject: `admin@${domain}`,
    delegatedScopes: [...READ_SCANNER_SCOPES],
    cloudAccess: true,
    projectId: 'gen-secops',
  };

  // ---- users -------------------------------------------------------------------------------------
  const seedTag = String(Math.abs(seed) % 10_000).padStart(4, '0');
  const userId = (i: number) => `1${seedTag}${String(i).padStart(16, '0')}`;
  const userAt = (i: number): UserRec => {
    const given = GIVEN[hashInts(seed, i, 1) % GIVEN.length]!;
    const family = FAMILY[hashInts(seed, i, 2) % FAMILY.length]!;
    const admin = i === 0 || unitFrom(seed, i, 3) < 0.002;
    const suspended = i !== 0 && unitFrom(seed, i, 4) * 100 < g.suspendedPercent;
    const archived = i !== 0 && !suspended && unitFrom(seed, i, 5) < 0.01;
    const created = nowMs - Math.floor((30 + unitFrom(seed, i, 6) * 2500) * DAY_MS);
    const neverLoggedIn = i !== 0 && unitFrom(seed, i, 7) < 0.01;
    const lastLogin =
      suspended || archived ? created + (nowMs - created) * 0.5 : nowMs - unitFrom(seed, i, 8) * 20 * DAY_MS;
    return {
      id: userId(i),
      email: i === 0 ? `admin@${domain}` : `${given.toLowerCase()}.${family.toLowerCase()}.${i}@${domain}`,
      givenName: i === 0 ? 'Workspace' : given,
      familyName: i === 0 ? 'Admin' : family,
      admin,
      suspended,
      suspensionReason: suspended ? 'ADMIN' : null,
      archived,
      createdAt: iso(created),
      lastLoginAt: neverLoggedIn ? null : iso(Math.floor(lastLogin)),
      orgUnit: ORG_UNITS[hashInts(seed, i, 9) % ORG_UNITS.length]!,
      enrolledIn2Sv: unitFrom(seed, i, 10) < 0.9,
    };
  };
  const findUser = (key: string): UserRec | undefined => {
    const lower = key.toLowerCase();
    let i: number | undefined;
    if (lower === `admin@${domain}`) i = 0;
    else if (/^[0-9]+$/.test(key) && key.length === 21 && key.slice(1, 5) === seedTag)
      i = Number(key.slice(5));
    else {
      const m = /\.([0-9]+)@(.+)$/.exec(lower);
      if (m && m[2] === domain.toLowerCase()) i = Number(m[1]);
    }
    if (i === undefined || i < 0 || i >= U) return undefined;
    const u = userAt(i);
    return u.email.toLowerCase() === lower || u.id === key ? u : undefined;
  };

  // ---- apps and grant slots ------------------------------------------------------------------
  const apps = Array.from({ length: g.apps }, (_, a) => generatedApp(seed, a));
  const permA = new AffinePermutation(M, hashInts(seed, 101));
  const permR = new AffinePermutation(M, hashInts(seed, 102));
  // Activity: K use events per grant slot (apps call APIs again and again), spread over 240 days.
  const K = g.activityEventsPerGrant;
  const permU = new AffinePermutation(M * K, hashInts(seed, 103));
  const authSpan = 720 * DAY_MS;
  const useSpan = 240 * DAY_MS;
  const timeOf = (j: number, span: number, length: number) => Math.floor(nowMs - ((j + 0.5) * span) / length);
  const slotUsed = (p: number) => unitFrom(seed, p, 10) < 0.5;
  const slotApp = (p: number) => apps[Math.floor(apps.length * unitFrom(seed, p, 11) ** 2)]!;
  const authorizedAt = (p: number) => timeOf(permA.forward(p), authSpan, M);
  const revokedAt = (p: number): number | null => {
    if (!slotUsed(p) || unitFrom(seed, p, 12) >= 0.08) return null;
    const t = timeOf(permR.forward(p), authSpan, M);
    return t >= authorizedAt(p) ? t : null;
  };
  /** Whether the grant in slot p is in use at all (some grants are never used). */
  const inUse = (p: number) => slotUsed(p) && unitFrom(seed, p, 13) < 0.75 && revokedAt(p) === null;

  const tokensOf = (u: UserRec): TokenRec[] => {
    const i = Number(u.id.slice(5));
    const out = new Map<string, TokenRec>();
    for (let s = 0; s < T; s++) {
      const p = i * T + s;
      if (!slotUsed(p) || revokedAt(p) !== null) continue;
      const app = slotApp(p);
      const t = out.get(app.clientId);
      if (t) t.scopes = [...new Set([...t.scopes, ...app.scopes])];
      else {
        out.set(app.clientId, {
          clientId: app.clientId,
          displayText: app.name,
          scopes: [...app.scopes],
          nativeApp: app.nativeApp,
          anonymous: false,
          userId: u.id,
        });
      }
    }
    return [...out.values()];
  };

  // Event streams of the token application: index j → event (or null), time non-increasing in j.
  const grantStream = (
    name: 'authorize' | 'revoke',
    perm: AffinePermutation,
    valid: (p: number) => boolean,
    salt: number,
  ): Stream => ({
    length: M,
    span: authSpan,
    slot: (j) => perm.inverse(j),
    at(j) {
      const p = perm.inverse(j);
      if (!valid(p)) return null;
      const app = slotApp(p);
      const meta = fastEventMeta(reportsTime(timeOf(j, authSpan, M)), seed, p, salt);
      return tokenGrantEvent(name, meta, userAt(Math.floor(p / T)), app, app.scopes);
    },
  });
  const streams: Record<'authorize' | 'revoke' | 'activity', Stream> = {
    authorize: grantStream('authorize', permA, slotUsed, 1),
    revoke: grantStream('revoke', permR, (p) => revokedAt(p) !== null, 2),
    activity: {
      length: M * K,
      span: useSpan,
      slot: (j) => Math.floor(permU.inverse(j) / K),
      at(j) {
        const use = permU.inverse(j);
        const p = Math.floor(use / K);
        const t = timeOf(j, useSpan, M * K);
        if (!inUse(p) || t < authorizedAt(p)) return null;
        const app = slotApp(p);
        const meta = fastEventMeta(reportsTime(t), seed, use, 3);
        return tokenActivityEvent(
          meta,
          userAt(Math.floor(p / T)),
          app,
          app.scopes,
          1000 + (hashInts(seed, use, 14) % 90_000),
        );
      },
    },
  };
  const horizon = nowMs - section.retentionDays * DAY_MS;

  const tokenEvents = (q: EventQuery, cursor: string | null, max: number) => {
    const names = q.eventName ? [q.eventName] : (['authorize', 'revoke', 'activity'] as const);
    const active = names.filter((n): n is keyof typeof streams => n in streams);
    const pos = cursor ? cursor.split('.').map(Number) : active.map(() => 0);
    const start = Math.max(q.start, horizon);
    const actorIndex = q.actorId ? Number(q.actorId.slice(5)) : null;
    // Move each stream to its next matching event (or past its end): the heads of a k-way merge.
    const heads: Array<EventRec | null> = active.map(() => null);
    const advance = (k: number) => {
      const s = streams[active[k]!];
      let j = pos[k]!;
      const firstInRange = Math.max(0, Math.ceil(((nowMs - q.end) * s.length) / s.span - 0.5));
      if (j < firstInRange) j = firstInRange;
      heads[k] = null;
      while (j < s.length) {
        if (timeOf(j, s.span, s.length) < start) {
          j = s.length;
          break;
        }
        if (actorIndex != null && Math.floor(s.slot(j) / T) !== actorIndex) {
          j++;
          continue;
        }
        const e = s.at(j);
        j++;
        if (e && eventMatches(e, q)) {
          heads[k] = e;
          break;
        }
      }
      pos[k] = j;
    };
    for (let k = 0; k < active.length; k++) {
      // A cursor points just past the head that was last returned; re-find heads from there.
      advance(k);
    }
    const items: EventRec[] = [];
    while (items.length < max) {
      let best = -1;
      heads.forEach((h, k) => {
        if (h && (best < 0 || h.time > heads[best]!.time)) best = k;
      });
      if (best < 0) break;
      items.push(heads[best]!);
      advance(best);
    }
    // Positions are one past each pending head, so step back to keep the heads for the next page.
    const next = heads.map((h, k) => (h ? pos[k]! - 1 : pos[k]!));
    return { items, cursor: heads.some(Boolean) ? next.join('.') : null };
  };

  // ---- projects, service accounts, keys ------------------------------------------------------
  const projectAt = (i: number): ProjectRec => {
    const owner = userAt(hashInts(seed, i, 20) % U);
    const second = unitFrom(seed, i, 21) < 0.5 ? [`user:${userAt(hashInts(seed, i, 22) % U).email}`] : [];
    return {
      projectId: `gen-project-${i}`,
      number: String(400000000000 + (hashInts(seed, i, 23) % 99999999999)),
      displayName: `${TEAMS[i % TEAMS.length]} ${i}`,
      parent: `organizations/${section.customer.organizationId}`,
      state: 'ACTIVE',
      createdAt: iso(nowMs - Math.floor((60 + unitFrom(seed, i, 24) * 1500) * DAY_MS)),
      owners: [`user:${owner.email}`, ...second],
      labels: { team: TEAMS[i % TEAMS.length]!.toLowerCase() },
    };
  };
  const saAt = (project: ProjectRec, pi: number, j: number): ServiceAccountRec => {
    const email = `svc-account-${j}@${project.projectId}.iam.gserviceaccount.com`;
    return {
      projectId: project.projectId,
      email,
      uniqueId: `1${String(hashInts(seed, pi, j, 30)).padStart(10, '0')}${String(hashInts(seed, pi, j, 31)).padStart(10, '0')}`,
      displayName: `${TEAMS[(pi + j) % TEAMS.length]} worker ${j}`,
      description: null,
      disabled: unitFrom(seed, pi, j, 32) < 0.05,
    };
  };
  const projectIndex = (key: string): number | undefined => {
    const m = /^gen-project-([0-9]+)$/.exec(key);
    if (m) return Number(m[1]) < g.projects ? Number(m[1]) : undefined;
    for (let i = 0; i < g.projects; i++) if (projectAt(i).number === key) return i;
    return undefined;
  };
  const keysOf = (sa: ServiceAccountRec): KeyRec[] => {
    const pi = Number(/^gen-project-([0-9]+)$/.exec(sa.projectId)![1]);
    const j = Number(/^svc-account-([0-9]+)@/.exec(sa.email)![1]);
    const base = `projects/${sa.projectId}/serviceAccounts/${sa.email}/keys/`;
    const out: KeyRec[] = [
      {
        name: base + hex40(seed, pi, j, 99),
        keyType: 'SYSTEM_MANAGED',
        origin: 'GOOGLE_PROVIDED',
        algorithm: 'KEY_ALG_RSA_2048',
        validAfter: iso(nowMs - 9 * DAY_MS),
        validBefore: iso(nowMs + 721 * DAY_MS),
        disabled: false,
        exposed: false,
      },
    ];
    for (let k = 0; k < g.keysPerServiceAccount; k++) {
      if (unitFrom(seed, pi, j, k, 40) >= 0.6) continue;
      const created = nowMs - Math.floor(unitFrom(seed, pi, j, k, 41) * 800 * DAY_MS);
      out.push({
        name: base + hex40(seed, pi, j, k),
        keyType: 'USER_MANAGED',
        origin: 'GOOGLE_PROVIDED',
        algorithm: 'KEY_ALG_RSA_2048',
        validAfter: iso(created),
        validBefore: unitFrom(seed, pi, j, k, 42) < 0.8 ? NEVER_EXPIRES : iso(created + 90 * DAY_MS),
        disabled: unitFrom(seed, pi, j, k, 43) < 0.05,
        exposed: false,
      });
    }
    return out;
  };

  // Domain-wide delegations: few, so the admin log is materialised and sorted once.
  const adminLog: EventRec[] = [];
  const saCount = g.projects * g.serviceAccountsPerProject;
  for (let d = 0; d < g.delegations; d++) {
    const clientId =
      saCount > 0 && d % 3 !== 2
        ? saAt(
            projectAt(d % g.projects),
            d % g.projects,
            Math.floor(d / g.projects) % g.serviceAccountsPerProject,
          ).uniqueId
        : `1${String(hashInts(seed, d, 50)).padStart(10, '0')}${String(hashInts(seed, d, 51)).padStart(10, '0')}`;
    const scopes = DWD_SCOPES[d % DWD_SCOPES.length]!;
    const at = nowMs - Math.floor(unitFrom(seed, d, 52) * 300 * DAY_MS);
    const admin = userAt(0);
    adminLog.push(
      delegationEvent(
        'AUTHORIZE_API_CLIENT_ACCESS',
        fastEventMeta(reportsTime(at), seed, d, 53),
        admin,
        clientId,
        scopes,
      ),
    );
    if (unitFrom(seed, d, 54) < 0.2) {
      const removed = at + Math.floor((nowMs - at) * unitFrom(seed, d, 55));
      adminLog.push(
        delegationEvent(
          'REMOVE_API_CLIENT_ACCESS',
          fastEventMeta(reportsTime(removed), seed, d, 56),
          admin,
          clientId,
          [],
        ),
      );
    }
  }
  const adminEvents = adminLog
    .filter((e) => Date.parse(e.time) >= horizon)
    .sort((a, b) => (a.time < b.time ? 1 : a.time > b.time ? -1 : 0));

  return {
    customer: section.customer,
    scanner,
    retentionDays: section.retentionDays,
    now,
    userCount: U,
    userAt,
    findUser,
    tokensOf,
    events(q, cursor, max) {
      if (q.app === 'token') return tokenEvents(q, cursor, max);
      let offset = cursor ? Number(cursor) : 0;
      const items: EventRec[] = [];
      while (offset < adminEvents.length && items.length < max) {
        const e = adminEvents[offset++]!;
        if (eventMatches(e, q)) items.push(e);
      }
      while (offset < adminEvents.length && !eventMatches(adminEvents[offset]!, q)) offset++;
      return { items, cursor: offset < adminEvents.length ? String(offset) : null };
    },
    projectCount: g.projects,
    projectAt,
    findProject: (key) => {
      const i = projectIndex(key);
      return i === undefined ? undefined : projectAt(i);
    },
    serviceAccounts: (p) => {
      const pi = Number(/^gen-project-([0-9]+)$/.exec(p.projectId)![1]);
      return Array.from({ length: g.serviceAccountsPerProject }, (_, j) => saAt(p, pi, j));
    },
    keys: keysOf,
  };
}

/** Events of one name: index j in [0, length) → event (or null), times spread over `span`, newest first. */
interface Stream {
  length: number;
  span: number;
  at(j: number): EventRec | null;
  /** The grant slot behind index j, without building the event (for the actor filter). */
  slot(j: number): number;
}

interface GeneratedApp {
  clientId: string;
  name: string;
  clientType: string;
  nativeApp: boolean;
  scopes: string[];
}

function generatedApp(seed: number, a: number): GeneratedApp {
  const base = APP_NAMES[a % APP_NAMES.length]!;
  const round = Math.floor(a / APP_NAMES.length);
  const n = 1 + (hashInts(seed, a, 60) % 3);
  const scopes = new Set<string>(['openid', 'https://www.googleapis.com/auth/userinfo.email']);
  for (let k = 0; k < n; k++) scopes.add(APP_SCOPES[hashInts(seed, a, k, 61) % APP_SCOPES.length]!);
  const nativeApp = unitFrom(seed, a, 62) < 0.1;
  const id36 = [63, 64, 65, 66]
    .map((salt) => hashInts(seed, a, salt).toString(36).padStart(7, '0'))
    .join('')
    .slice(0, 28);
  return {
    clientId: `${String(100000000000 + (hashInts(seed, a, 67) % 899999999999)).slice(0, 12)}-${id36}a${String(a).padStart(3, '0')}.apps.googleusercontent.com`,
    name: round === 0 ? base : `${base} ${round + 1}`,
    clientType: nativeApp ? 'NATIVE_DESKTOP' : 'WEB',
    nativeApp,
    scopes: [...scopes],
  };
}

/** p ↦ (a·p + b) mod m with gcd(a, m) = 1: a bijection on [0, m) with an O(1) inverse. */
class AffinePermutation {
  private readonly a: number;
  private readonly b: number;
  private readonly aInv: number;
  constructor(
    private readonly m: number,
    seed: number,
  ) {
    if (m > 90_000_000) {
      throw new Error(
        'generator: users × tokenSlotsPerUser × activityEventsPerGrant must stay below 90,000,000',
      );
    }
    let a = m > 2 ? 1 + (seed % (m - 1)) : 1;
    while (gcd(a, m) !== 1) a = (a % (m - 1)) + 1;
    this.a = a;
    this.b = m > 0 ? hashInts(seed, 7) % m : 0;
    this.aInv = modInverse(a, m);
  }
  forward(p: number): number {
    return (((this.a * p) % this.m) + this.b) % this.m;
  }
  inverse(j: number): number {
    return (this.aInv * ((j - this.b + this.m) % this.m)) % this.m;
  }
}

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

function modInverse(a: number, m: number): number {
  if (m === 1) return 0;
  let [oldR, r] = [a, m];
  let [oldS, s] = [1, 0];
  while (r !== 0) {
    const q = Math.floor(oldR / r);
    [oldR, r] = [r, oldR - q * r];
    [oldS, s] = [s, oldS - q * s];
  }
  return ((oldS % m) + m) % m;
}

function iso(ms: number): string {
  return new Date(ms).toISOString().replace(/\.[0-9]{3}Z$/, 'Z');
}

function hex40(...ints: number[]): string {
  let out = '';
  for (let k = 0; out.length < 40; k++)
    out += hashInts(...ints, k)
      .toString(16)
      .padStart(8, '0');
  return out.slice(0, 40);
}

const GIVEN = ['Ana', 'Ben', 'Chen', 'Dara', 'Elif', 'Femi', 'Greta', 'Hugo', 'Ines', 'Jon', 'Kemal', 'Lena'];
const FAMILY = [
  'Silva',
  'Okafor',
  'Novak',
  'Tanaka',
  'Moreau',
  'Schmidt',
  'Haddad',
  'Kowalski',
  'Reyes',
  'Lund',
];
const ORG_UNITS = ['/', '/Engineering', '/Sales', '/Finance', '/Support', '/Marketing'];
const TEAMS = ['Data', 'Platform', 'Billing', 'Growth', 'Security', 'Support'];
const APP_NAMES = [
  'Calendly',
  'Zoom for Google Workspace',
  'Miro',
  'Lucidchart',
  'DocuSign eSignature',
  'Grammarly',
  'Notion',
  'Slack',
  'Trello',
  'Asana',
  'Smartsheet',
  'Dropbox',
  'HubSpot Sales',
  'Mailmeteor',
  'Loom',
  'Canva',
  'Otter.ai',
  'Superhuman',
];
const APP_SCOPES = [
  'https://www.googleapis.com/auth/calendar',
  'https://www.googleapis.com/auth/calendar.readonly',
  'https://www.googleapis.com/auth/drive.file',
  'https://www.googleapis.com/auth/drive.readonly',
  'https://www.googleapis.com/auth/drive',
  'https://www.googleapis.com/auth/gmail.readonly',
  'https://www.googleapis.com/auth/gmail.send',
  'https://mail.google.com/',
  'https://www.googleapis.com/auth/contacts',
  'https://www.googleapis.com/auth/userinfo.profile',
];
const DWD_SCOPES = [
  ['https://www.googleapis.com/auth/gmail.readonly'],
  ['https://www.googleapis.com/auth/drive', 'https://www.googleapis.com/auth/admin.directory.user.readonly'],
  ['https://www.googleapis.com/auth/calendar'],
  ['https://mail.google.com/'],
];
