import type { Json } from '../../../src/model/common.js';
import type { Origin } from '../../../src/model/identity.js';
import type { ModelRecordInput } from '../../../src/model/record.js';
import { accessOf, appPermissionRisk, permissionScope } from '../risk.js';
import { type GithubCollector, type GithubScan, ownersOf, recordBase, ts } from '../scan-context.js';
import {
  type App,
  App as AppSchema,
  type Installation,
  Installation as InstallationSchema,
} from '../schema.js';

const NAME = 'app-installations';

/** Apps GitHub itself publishes (owner `github`); listed in case an app lookup is not possible. */
const GITHUB_OWNED_SLUGS = new Set([
  'dependabot',
  'github-actions',
  'github-advanced-security',
  'copilot-swe-agent',
  'github-pages',
]);

function originOf(scan: GithubScan, inst: Installation, app: App | null): Origin {
  const owner = app?.owner?.login?.toLowerCase() ?? app?.owner?.slug?.toLowerCase();
  if (owner === scan.config.org.toLowerCase()) return 'internal';
  if (owner === 'github' || GITHUB_OWNED_SLUGS.has(inst.app_slug)) return 'platform';
  return owner ? 'third-party' : 'unknown';
}

/** A target per permission: repository permissions reach the installation's repositories; others the org. */
function targetOf(scan: GithubScan, inst: Installation, permission: string) {
  const scope = permissionScope(permission);
  if (scope === 'repository') {
    return inst.repository_selection === 'all'
      ? { breadth: 'all' as const, type: 'repository', label: 'all repositories' }
      : // The org API does not reveal which repositories another app's installation selected.
        { breadth: 'selected' as const, type: 'repository', label: 'selected repositories' };
  }
  return {
    breadth: 'tenant' as const,
    type: scope === 'enterprise' ? 'enterprise' : 'organization',
    id: scan.config.org,
    label: scan.config.org,
  };
}

/**
 * GitHub App installations on the org: permissions, events, repository selection, suspension. The
 * app behind each installation is looked up once (`GET /apps/{slug}`) for its owner, which tells
 * the org's own apps from third-party and GitHub-owned ones.
 */
export const appInstallations: GithubCollector = {
  name: NAME,
  description: 'GitHub App installations (permissions, events, repository selection, suspended)',
  requires: 'Organization permission "Administration: read"',
  async *collect(scan: GithubScan): AsyncGenerator<ModelRecordInput> {
    const { client, config, ctx, web } = scan;
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

    const base = recordBase(scan, NAME);
    for (const inst of installations) {
      const app = apps.get(inst.app_slug) ?? null;
      const identity = { kind: 'github-app-installation', nativeId: String(inst.id) };
      const declaredOwners = config.appOwners[inst.app_slug] ?? [];
      const isScanner = config.app != null && String(config.app.id) === String(inst.app_id);
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
        origin: originOf(scan, inst, app),
        createdAt: ts(inst.created_at),
        enabled: inst.suspended_at == null,
        // GitHub reports no last use for installations.
        lastUsed: null,
        // GitHub records no owner for an installation: owners are declared in github.appOwners. One
        // without an entry has none and is rightly ownerless (ownersKnown stays true).
        ...ownersOf(scan, declaredOwners),
        manageUrl: `${web}/organizations/${config.org}/settings/installations/${inst.id}`,
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
          target: targetOf(scan, inst, permission),
          grantedVia: 'installation',
          grantedAt: ts(inst.created_at),
          risk: appPermissionRisk(permission, level, {
            allRepositories: inst.repository_selection === 'all',
          }),
        };
      }
    }
  },
};
