import {
  DAY_MS,
  delegationEvent,
  digitsFrom,
  type EventQuery,
  type EventRec,
  eventMatches,
  eventMeta,
  hexFrom,
  type KeyRec,
  NEVER_EXPIRES,
  type ProjectRec,
  reportsTime,
  type ServiceAccountRec,
  type TokenRec,
  tokenActivityEvent,
  tokenGrantEvent,
  type UserRec,
  type WorkspaceData,
} from './data.js';
import type { AppSpec, GoogleWorkspaceSection, ProjectSpec, ServiceAccountSpec } from './world-schema.js';

function nameParts(email: string, name: string | undefined): { givenName: string; familyName: string } {
  const parts = (name ?? email.split('@')[0]!.replace(/[._-]+/g, ' '))
    .split(' ')
    .filter(Boolean)
    .map((p) => p[0]!.toUpperCase() + p.slice(1));
  // The Directory requires a family name; fall back to the domain's first label (admin@acme.example → Admin Acme).
  const domainLabel = email.split('@')[1]?.split('.')[0] ?? 'User';
  return {
    givenName: parts[0] ?? email,
    familyName: parts.slice(1).join(' ') || domainLabel[0]!.toUpperCase() + domainLabel.slice(1),
  };
}

/** A small world, materialised at load: users, tokens and a sorted audit log. */
export function explicitWorkspace(section: GoogleWorkspaceSection, now: Date): WorkspaceData {
  const scanner = section.scanner!;
  const users: UserRec[] = section.users.map((u) => ({
    id: u.id ?? digitsFrom(`user:${u.email.toLowerCase()}`, 21),
    email: u.email,
    ...nameParts(u.email, u.name),
    admin: u.admin,
    suspended: u.suspended,
    suspensionReason: u.suspended ? (u.suspensionReason ?? 'ADMIN') : null,
    archived: u.archived,
    createdAt: u.createdAt,
    lastLoginAt: u.lastLoginAt,
    orgUnit: u.orgUnit,
    enrolledIn2Sv: u.enrolledIn2Sv,
  }));
  const byEmail = new Map(users.map((u) => [u.email.toLowerCase(), u]));
  const byId = new Map(users.map((u) => [u.id, u]));
  const apps = new Map<string, AppSpec>(section.apps.map((a) => [a.clientId, a]));
  const user = (email: string) => byEmail.get(email.toLowerCase())!;

  // tokens.list: the grants not revoked, one entry per (user, client) with the union of scopes.
  const tokens = new Map<string, Map<string, TokenRec>>();
  for (const g of section.grants) {
    if (g.revokedAt && Date.parse(g.revokedAt) <= now.getTime()) continue;
    const u = user(g.user);
    const app = apps.get(g.clientId)!;
    const mine = tokens.get(u.id) ?? new Map<string, TokenRec>();
    tokens.set(u.id, mine);
    const t = mine.get(g.clientId);
    if (t) t.scopes = [...new Set([...t.scopes, ...g.scopes])];
    else {
      mine.set(g.clientId, {
        clientId: g.clientId,
        displayText: app.name,
        scopes: [...g.scopes],
        nativeApp: app.nativeApp,
        anonymous: app.anonymous,
        userId: u.id,
      });
    }
  }

  // The audit log the Reports API serves, newest first, cut at the retention horizon.
  const log: EventRec[] = [];
  section.grants.forEach((g, i) => {
    const u = user(g.user);
    const app = apps.get(g.clientId)!;
    const appRef = { clientId: app.clientId, name: app.name, clientType: app.clientType };
    const meta = (t: string, kind: string) => eventMeta(reportsTime(Date.parse(t)), `grant:${i}:${kind}`);
    log.push(tokenGrantEvent('authorize', meta(g.authorizedAt, 'a'), u, appRef, g.scopes));
    if (g.lastUsedAt) {
      log.push(tokenActivityEvent(meta(g.lastUsedAt, 'u'), u, appRef, g.scopes, 2048 + (i % 7) * 311));
    }
    if (g.revokedAt) log.push(tokenGrantEvent('revoke', meta(g.revokedAt, 'r'), u, appRef, g.scopes));
  });
  section.delegations.forEach((d, i) => {
    const meta = (t: string, kind: string) => eventMeta(reportsTime(Date.parse(t)), `dwd:${i}:${kind}`);
    d.history.forEach((h, j) => {
      log.push(
        delegationEvent('AUTHORIZE_API_CLIENT_ACCESS', meta(h.at, `h${j}`), user(h.by), d.clientId, h.scopes),
      );
    });
    log.push(
      delegationEvent(
        'AUTHORIZE_API_CLIENT_ACCESS',
        meta(d.authorizedAt, 'a'),
        user(d.authorizedBy),
        d.clientId,
        d.scopes,
      ),
    );
    if (d.removedAt) {
      const by = user(d.removedBy ?? d.authorizedBy) ?? user(d.authorizedBy);
      log.push(delegationEvent('REMOVE_API_CLIENT_ACCESS', meta(d.removedAt, 'r'), by, d.clientId, []));
    }
  });
  const horizon = now.getTime() - section.retentionDays * DAY_MS;
  const events = log
    .filter((e) => Date.parse(e.time) >= horizon && Date.parse(e.time) <= now.getTime())
    .sort((a, b) =>
      a.time < b.time ? 1 : a.time > b.time ? -1 : a.uniqueQualifier.localeCompare(b.uniqueQualifier),
    );

  const projects: ProjectRec[] = section.projects.map((p: ProjectSpec) => ({
    projectId: p.projectId,
    number: p.number ?? digitsFrom(`project:${p.projectId}`, 12, '4'),
    displayName: p.displayName ?? p.projectId,
    parent: p.parent ?? `organizations/${section.customer.organizationId}`,
    state: p.state,
    createdAt: p.createdAt,
    owners: p.owners.map((o) => (o.includes(':') ? o : `user:${o}`)),
    labels: p.labels,
  }));
  const saSpecs = new Map<string, ServiceAccountSpec[]>(
    section.projects.map((p) => [p.projectId, p.serviceAccounts]),
  );
  const saEmail = (projectId: string, sa: ServiceAccountSpec) =>
    sa.email ?? `${sa.accountId}@${projectId}.iam.gserviceaccount.com`;
  const accounts = new Map<string, ServiceAccountRec[]>(
    projects.map((p) => [
      p.projectId,
      (saSpecs.get(p.projectId) ?? []).map((sa) => ({
        projectId: p.projectId,
        email: saEmail(p.projectId, sa),
        uniqueId: sa.uniqueId ?? digitsFrom(`sa:${saEmail(p.projectId, sa)}`, 21),
        displayName: sa.displayName ?? null,
        description: sa.description ?? null,
        disabled: sa.disabled,
      })),
    ]),
  );
  const keys = new Map<string, KeyRec[]>();
  for (const p of projects) {
    (saSpecs.get(p.projectId) ?? []).forEach((sa, i) => {
      const rec = accounts.get(p.projectId)![i]!;
      const base = `projects/${p.projectId}/serviceAccounts/${rec.email}/keys/`;
      const systemKey: KeyRec = {
        name: base + hexFrom(`system:${rec.email}`, 40),
        keyType: 'SYSTEM_MANAGED',
        origin: 'GOOGLE_PROVIDED',
        algorithm: 'KEY_ALG_RSA_2048',
        validAfter: new Date(now.getTime() - 9 * DAY_MS).toISOString().replace('.000Z', 'Z'),
        validBefore: new Date(now.getTime() + 721 * DAY_MS).toISOString().replace('.000Z', 'Z'),
        disabled: false,
        exposed: false,
      };
      keys.set(rec.email, [
        systemKey,
        ...sa.keys.map(
          (k, j): KeyRec => ({
            name: base + (k.id ?? hexFrom(`key:${rec.email}:${j}`, 40)),
            keyType: 'USER_MANAGED',
            origin: k.origin,
            algorithm: k.algorithm,
            validAfter: k.createdAt,
            validBefore: k.expiresAt === 'never' ? NEVER_EXPIRES : k.expiresAt,
            disabled: k.disabled,
            exposed: k.exposed,
          }),
        ),
      ]);
    });
  }

  return {
    customer: section.customer,
    scanner,
    retentionDays: section.retentionDays,
    now,
    userCount: users.length,
    userAt: (i) => users[i]!,
    findUser: (key) => byEmail.get(key.toLowerCase()) ?? byId.get(key),
    tokensOf: (u) => [...(tokens.get(u.id)?.values() ?? [])],
    events(query: EventQuery, cursor, max) {
      let offset = cursor ? Number(cursor) : 0;
      const items: EventRec[] = [];
      while (offset < events.length && items.length < max) {
        const e = events[offset++]!;
        if (eventMatches(e, query)) items.push(e);
      }
      // Look ahead so that the last page carries no nextPageToken.
      while (offset < events.length && !eventMatches(events[offset]!, query)) offset++;
      return { items, cursor: offset < events.length ? String(offset) : null };
    },
    projectCount: projects.length,
    projectAt: (i) => projects[i]!,
    findProject: (key) => projects.find((p) => p.projectId === key || p.number === key),
    serviceAccounts: (p) => accounts.get(p.projectId) ?? [],
    keys: (sa) => keys.get(sa.email) ?? [],
  };
}
