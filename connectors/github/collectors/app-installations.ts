import { defineCollector } from '../../../src/connector/collector.js';
import type { Json } from '../../../src/model/common.js';
import type { Origin } from '../../../src/model/identity.js';
import type { ModelRecordInput } from '../../../src/model/record.js';
import { githubUnreachable } from '../client.js';
import { ownersOf, type RecordScope, recordBase, scopeOf, ts } from '../records.js';
import { accessOf, appPermissionRisk, permissionScope } from '../risk.js';
import {
  type App,
  App as AppSchema,
  type Installation,
  Installation as InstallationSchema,
} from '../schema.js';
import type { GithubSession } from '../session.js';
import { members } from './members.js';

const NAME = 'app-installations';

/** An installation and the app behind it (null when the app could not be looked up). */
export interface InstalledApp {
  installation: Installation;
  app: App | null;
}

/** What the records of installations need from the config. */
export interface InstallationSettings {
  /** github.appOwners: owners declared per app slug. */
  appOwners: Record<string, string[]>;
  /** The scanner's own app id (github.app.id), to mark its installation. */
  scannerAppId: string | number | null;
}

/** Apps GitHub itself publishes (owner `github`); listed in case an app lookup is not possible. */
const GITHUB_OWNED_SLUGS = new Set([
  'dependabot',
  'github-actions',
  'github-advanced-security',
  'copilot-swe-agent',
  'github-pages',
]);

function originOf(scope: RecordScope, inst: Installation, app: App | null): Origin {
  const owner = app?.owner?.login?.toLowerCase() ?? app?.owner?.slug?.toLowerCase();
  if (owner === scope.org.toLowerCase()) return 'internal';
  if (owner === 'github' || GITHUB_OWNED_SLUGS.has(inst.app_slug)) return 'platform';
  return owner ? 'third-party' : 'unknown';
}

/** A target per permission: repository permissions reach the installation's repositories; others the org. */
function targetOf(scope: RecordScope, inst: Installation, permission: string) {
  const reach = permissionScope(permission);
  if (reach === 'repository') {
    return inst.repository_selection === 'all'
      ? { breadth: 'all' as const, type: 'repository', label: 'all repositories' }
      : // The org API does not reveal which repositories another app's installation selected.
        { breadth: 'selected' as const, type: 'repository', label: 'selected repositories' };
  }
  return {
    breadth: 'tenant' as const,
    type: reach === 'enterprise' ? 'enterprise' : 'organization',
    id: scope.org,
    label: scope.org,
  };
}

/** Each installation as an identity, with one grant per permission it holds. */
export function* installationRecords(
  installed: readonly InstalledApp[],
  scope: RecordScope,
  settings: InstallationSettings,
): Generator<ModelRecordInput> {
  const base = recordBase(scope, NAME);
  for (const { installation: inst, app } of installed) {
    const identity = { kind: 'github-app-installation', nativeId: String(inst.id) };
    const declaredOwners = settings.appOwners[inst.app_slug] ?? [];
    const isScanner = settings.scannerAppId != null && String(settings.scannerAppId) === String(inst.app_id);
    yield {
      type: 'identity',
      ...base,
      ...identity,
      displayName: app?.name ?? inst.app_slug,
      publisher: {
        name: app?.owner?.login ?? app?.owner?.slug ?? null,
        id: app?.owner ? String(app.owner.id) : null,
        verified: null,
      },
      origin: originOf(scope, inst, app),
      createdAt: ts(inst.created_at),
      enabled: inst.suspended_at == null,
      // GitHub reports no last use for installations.
      lastUsed: null,
      // GitHub records no owner for an installation: owners are declared in github.appOwners. One
      // without an entry has none and is rightly ownerless (ownersKnown stays true).
      ...ownersOf(scope, declaredOwners),
      manageUrl: `${scope.web}/organizations/${scope.org}/settings/installations/${inst.id}`,
      attributes: {
        appId: inst.app_id,
        appSlug: inst.app_slug,
        repositorySelection: inst.repository_selection,
        events: inst.events,
        suspendedAt: ts(inst.suspended_at),
        suspendedBy: inst.suspended_by?.login ?? null,
        ownersSource: declaredOwners.length > 0 ? 'config: github.appOwners' : null,
        ...(isScanner ? { scanner: true } : {}),
        ...(app?.external_url ? { externalUrl: app.external_url } : {}),
      },
      raw: inst as unknown as Json,
    };
    for (const [permission, level] of Object.entries(inst.permissions)) {
      yield {
        type: 'grant',
        ...base,
        identity,
        permission: { id: permission, name: permission, nativeLevel: level, access: accessOf(level) },
        target: targetOf(scope, inst, permission),
        grantedVia: 'installation',
        grantedAt: ts(inst.created_at),
        risk: appPermissionRisk(permission, level, {
          allRepositories: inst.repository_selection === 'all',
        }),
      };
    }
  }
}

/**
 * GitHub App installations on the org: permissions, events, repository selection, suspension. The
 * app behind each installation is looked up once (`GET /apps/{slug}`) for its owner, which tells
 * the org's own apps from third-party and GitHub-owned ones.
 */
export const appInstallations = defineCollector<GithubSession, InstalledApp[]>({
  name: NAME,
  description: 'GitHub App installations (permissions, events, repository selection, suspended)',
  permissions: ['Organization permission "Administration: read"'],
  enrichedBy: [members.name],
  async fetch({ client, config }, { ctx }) {
    const installations: Installation[] = [];
    for await (const inst of client.list(
      'GET /orgs/{org}/installations',
      { org: config.org },
      InstallationSchema,
    )) {
      installations.push(inst);
    }
    const slugs = [...new Set(installations.map((i) => i.app_slug))];
    const apps = new Map<string, App | null>();
    await Promise.all(
      slugs.map((slug) =>
        ctx.limit(async () => {
          try {
            apps.set(slug, await client.get('GET /apps/{app_slug}', { app_slug: slug }, AppSchema));
          } catch (err) {
            // GitHub out of reach is not a private app: the collector fails and the tenant stops.
            if (githubUnreachable(err)) throw err;
            // Private apps of other owners are not visible; the installation is still inventoried.
            apps.set(slug, null);
            ctx.coverage.note(
              NAME,
              `app '${slug}' could not be looked up (${(err as Error).message}); origin unknown`,
            );
          }
        }),
      ),
    );
    return installations.map((installation) => ({
      installation,
      app: apps.get(installation.app_slug) ?? null,
    }));
  },
  transform: (installed, session, run) =>
    installationRecords(installed, scopeOf(session, run.optional(members)), {
      appOwners: session.config.appOwners,
      scannerAppId: session.config.app?.id ?? null,
    }),
});
