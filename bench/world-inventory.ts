/**
 * What a world holds, counted from the emulator's own model of it (the state it serves), for the
 * minimum-requests computation. The platform modules are loaded from the emulator's build
 * (src/emulator/dist), which exports only its server publicly: the bench is its in-repo user.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { loadWorld } from '@grantscope/emulator';
import { MICROSOFT_TENANT_IDS } from '../connectors/microsoft365/records.js';
import type { EntraInventory, GithubInventory, GoogleInventory } from './minimum-requests.js';
import { repoRoot } from './processes.js';
import type { BenchPlatform } from './worlds.js';

interface Listing<T> {
  length: number;
  at(i: number): T;
}
interface Collection<T> {
  slots: number;
  at(slot: number): T | undefined;
}
interface PlatformModule {
  key: string;
  load(section: unknown, ctx: unknown, file: string): unknown;
}

async function platformState(file: string, platform: BenchPlatform): Promise<unknown> {
  const dist = join(repoRoot(), 'src', 'emulator', 'dist');
  const modules = join(dist, 'platforms.js');
  if (!existsSync(modules)) throw new Error(`${modules} missing: run \`npm run build\``);
  const { BUILTIN_EMULATOR_PLATFORMS } = (await import(pathToFileURL(modules).href)) as {
    BUILTIN_EMULATOR_PLATFORMS: PlatformModule[];
  };
  const { resolveRelativeDates } = (await import(pathToFileURL(join(dist, 'world.js')).href)) as {
    resolveRelativeDates(section: unknown, now: Date): unknown;
  };
  const world = loadWorld(file);
  const now = world.now ?? new Date();
  const module = BUILTIN_EMULATOR_PLATFORMS.find((p) => p.key === platform);
  if (!module) throw new Error(`no emulator platform ${platform}`);
  const ctx = { now, origin: () => 'https://127.0.0.1', keys: undefined, faults: undefined };
  return module.load(resolveRelativeDates(world.platforms[platform], now), ctx, file);
}

function* items<T>(list: Listing<T>): Generator<T> {
  for (let i = 0; i < list.length; i++) yield list.at(i);
}
function* present<T>(c: Collection<T>): Generator<T> {
  for (let s = 0; s < c.slots; s++) {
    const x = c.at(s);
    if (x !== undefined) yield x;
  }
}
const count = (it: Iterable<unknown>) => {
  let n = 0;
  for (const _ of it) n++;
  return n;
};

export async function githubInventory(file: string): Promise<GithubInventory> {
  const s = (await platformState(file, 'github')) as {
    org: { saml: boolean };
    repos: Listing<{ deploy_keys: unknown[]; hooks: unknown[] }>;
    members: Listing<unknown>;
    outsideCollaborators: Listing<unknown>;
    installations: Listing<{ app: { slug: string } }>;
    patGrants: Listing<{ repository_selection: string; repositories: string[] }>;
    patRequests: Listing<{ repository_selection: string; repositories: string[] }>;
    orgHooks: Listing<unknown>;
    credentialAuthorizations: Listing<unknown>;
  };
  const deployKeysPerRepo: number[] = [];
  const hooksPerRepo: number[] = [];
  for (const r of items(s.repos)) {
    if (r.deploy_keys.length > 0) deployKeysPerRepo.push(r.deploy_keys.length);
    if (r.hooks.length > 0) hooksPerRepo.push(r.hooks.length);
  }
  const subset = (l: Listing<{ repository_selection: string; repositories: string[] }>) =>
    [...items(l)].filter((g) => g.repository_selection === 'subset').map((g) => g.repositories.length);
  return {
    repos: s.repos.length,
    deployKeysPerRepo,
    hooksPerRepo,
    members: s.members.length,
    outsideCollaborators: s.outsideCollaborators.length,
    installations: s.installations.length,
    installedApps: new Set([...items(s.installations)].map((i) => i.app.slug)).size,
    patGrants: s.patGrants.length,
    patGrantSubsetRepos: subset(s.patGrants),
    patRequests: s.patRequests.length,
    patRequestSubsetRepos: subset(s.patRequests),
    orgHooks: s.orgHooks.length,
    credentialAuthorizations: s.org.saml ? s.credentialAuthorizations.length : 0,
  };
}

export async function entraInventory(file: string): Promise<EntraInventory> {
  const { dir } = (await platformState(file, 'microsoft365')) as {
    dir: {
      servicePrincipals: Collection<{
        id: string;
        appId: string;
        appOwnerOrganizationId: string | null;
        appRoles: Array<{ allowedMemberTypes: string[] }>;
      }> & { byAppId(appId: string): unknown };
      applications: Collection<{ appId: string }>;
      users: Collection<unknown>;
      oauth2PermissionGrants: Collection<{ consentType: string; principalId: string | null }>;
      signInActivities: Collection<unknown>;
      appRoleAssignedTo(resourceId: string): Collection<unknown>;
    };
  };
  const microsoft = new Set<string>(MICROSOFT_TENANT_IDS);
  let servicePrincipals = 0;
  let owned = 0;
  const assignmentsPerResource: number[] = [];
  for (const sp of present(dir.servicePrincipals)) {
    servicePrincipals++;
    if (!microsoft.has(sp.appOwnerOrganizationId?.toLowerCase() ?? '')) owned++;
    if (sp.appRoles.some((r) => r.allowedMemberTypes.includes('Application')))
      assignmentsPerResource.push(count(present(dir.appRoleAssignedTo(sp.id))));
  }
  let applications = 0;
  let homeApplications = 0;
  for (const a of present(dir.applications)) {
    applications++;
    if (dir.servicePrincipals.byAppId(a.appId)) homeApplications++;
  }
  let delegatedGrants = 0;
  const consenting = new Set<string>();
  for (const g of present(dir.oauth2PermissionGrants)) {
    delegatedGrants++;
    if (g.consentType === 'Principal' && g.principalId) consenting.add(g.principalId.toLowerCase());
  }
  return {
    servicePrincipals,
    applications,
    users: count(present(dir.users)),
    ownedServicePrincipals: owned,
    homeApplications,
    assignmentsPerResource,
    delegatedGrants,
    consentingUsers: consenting.size,
    signInActivities: count(present(dir.signInActivities)),
  };
}

export async function googleInventory(file: string): Promise<GoogleInventory> {
  type Query = {
    app: 'token' | 'admin';
    eventName: string | null;
    start: number;
    end: number;
    filters: unknown[];
    actorId: null;
  };
  const d = (await platformState(file, 'google-workspace')) as {
    now: Date;
    retentionDays: number;
    userCount: number;
    userAt(i: number): unknown;
    tokensOf(user: unknown): Array<{ clientId: string }>;
    events(q: Query, cursor: string | null, max: number): { items: unknown[]; cursor: string | null };
    projectCount: number;
    projectAt(i: number): unknown;
    serviceAccounts(p: unknown): unknown[];
  };
  const apps = new Set<string>();
  for (let i = 0; i < d.userCount; i++) for (const t of d.tokensOf(d.userAt(i))) apps.add(t.clientId);
  // The scan's window: the retention period up to the scan's clock (at least the world's).
  const end = Math.max(d.now.getTime(), Date.now()) + 1;
  const start = end - d.retentionDays * 86_400_000;
  const events = (app: Query['app'], eventName: string) => {
    let n = 0;
    let cursor: string | null = null;
    do {
      const page = d.events({ app, eventName, start, end, filters: [], actorId: null }, cursor, 1000);
      n += page.items.length;
      cursor = page.cursor;
    } while (cursor);
    return n;
  };
  // Last use of each app (its newest `activity` event, the log coming newest first): the fewest requests
  // are either one filtered lookup per app, or the log's first k pages plus a lookup for each app not in
  // them, or the whole log (after which an app not in it has no use to look up).
  const lastUseRequests = (() => {
    let best = apps.size;
    const seen = new Set<string>();
    let pages = 0;
    let cursor: string | null = null;
    do {
      const page = d.events(
        { app: 'token', eventName: 'activity', start, end, filters: [], actorId: null },
        cursor,
        1000,
      );
      pages += 1;
      for (const item of page.items as Array<{ params?: Array<{ name: string; value?: string }> }>) {
        for (const p of item.params ?? [])
          if (p.name === 'client_id' && p.value && apps.has(p.value)) seen.add(p.value);
      }
      cursor = page.cursor;
      best = Math.min(best, cursor ? pages + (apps.size - seen.size) : pages);
    } while (cursor && seen.size < apps.size);
    return apps.size === 0 ? 0 : best;
  })();
  const serviceAccountsPerProject: number[] = [];
  for (let i = 0; i < d.projectCount; i++)
    serviceAccountsPerProject.push(d.serviceAccounts(d.projectAt(i)).length);
  return {
    users: d.userCount,
    apps: apps.size,
    tokenAuthorizeEvents: events('token', 'authorize'),
    tokenRevokeEvents: events('token', 'revoke'),
    tokenActivityEvents: events('token', 'activity'),
    lastUseRequests,
    delegationEvents: {
      authorize: events('admin', 'AUTHORIZE_API_CLIENT_ACCESS'),
      remove: events('admin', 'REMOVE_API_CLIENT_ACCESS'),
    },
    projects: d.projectCount,
    serviceAccountsPerProject,
  };
}
