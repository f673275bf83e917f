import { ApiError } from '../../../src/errors.js';
import type { Json } from '../../../src/model/common.js';
import type { ModelRecordInput } from '../../../src/model/record.js';
import { webhookEventRisk } from '../risk.js';
import {
  childListNotFound,
  type GithubCollector,
  type GithubScan,
  recordBase,
  repositoriesGone,
  requireRepositories,
  ts,
} from '../scan-context.js';
import { type Hook, Hook as HookSchema, type MinimalRepository } from '../schema.js';

/**
 * Where a webhook sends events: scheme and host only. Webhook URLs often carry secrets in their
 * path or query string (Slack-style URLs, `?token=`), so the full URL is never kept.
 */
export function hookTarget(url: string | undefined): { host: string | null; scheme: string | null } {
  if (!url) return { host: null, scheme: null };
  try {
    const u = new URL(url);
    return { host: u.host, scheme: u.protocol.replace(/:$/, '') };
  } catch {
    return { host: null, scheme: null };
  }
}

/** The hook object minus its URL's path/query and the (masked) secret. */
function sanitise(hook: Hook): Json {
  const { host, scheme } = hookTarget(hook.config.url);
  const { secret: _secret, url: _url, ...config } = hook.config;
  return { ...hook, config: { ...config, url: host ? `${scheme}://${host}/…` : null } } as unknown as Json;
}

function* hookRecords(
  scan: GithubScan,
  collector: string,
  hook: Hook,
  where: {
    nativeId: string;
    manageUrl: string;
    target: { breadth: 'tenant' | 'resource'; type: string; id: string };
  },
): Generator<ModelRecordInput> {
  const base = recordBase(scan, collector);
  const identity = { kind: 'webhook', nativeId: where.nativeId };
  const { host, scheme } = hookTarget(hook.config.url);
  const insecureSsl = String(hook.config.insecure_ssl ?? '0') === '1';
  yield {
    type: 'identity',
    ...base,
    ...identity,
    displayName: `webhook to ${host ?? 'unknown host'}`,
    origin: 'unknown',
    createdAt: ts(hook.created_at),
    enabled: hook.active,
    // Deliveries are not use by the receiver; GitHub has no usage signal for a webhook.
    lastUsed: null,
    manageUrl: where.manageUrl,
    attributes: {
      targetHost: host,
      scheme,
      events: hook.events,
      active: hook.active,
      insecureSsl,
      contentType: hook.config.content_type ?? null,
      hasSecret: Boolean(hook.config.secret),
      lastResponseCode: hook.last_response?.code ?? null,
    },
    raw: sanitise(hook),
  };
  const risk = webhookEventRisk({ insecureSsl, plaintext: scheme === 'http' });
  for (const event of hook.events) {
    yield {
      type: 'grant',
      ...base,
      identity,
      permission: {
        id: `event:${event}`,
        name: event === '*' ? 'all events' : event,
        nativeLevel: null,
        access: 'read',
      },
      target: { ...where.target, label: where.target.id },
      grantedVia: 'subscription',
      grantedAt: ts(hook.created_at),
      risk,
      attributes: { targetHost: host },
    };
  }
}

/** Organisation webhooks (target host, events, active, insecure SSL). */
export const orgWebhooks: GithubCollector = {
  name: 'org-webhooks',
  description: 'Organisation webhooks (target host, events, active, insecure SSL)',
  requires: 'Organization permission "Webhooks: read"',
  async *collect(scan: GithubScan): AsyncGenerator<ModelRecordInput> {
    const { client, config, web } = scan;
    for await (const hook of client.list('GET /orgs/{org}/hooks', { org: config.org }, HookSchema)) {
      yield* hookRecords(scan, 'org-webhooks', hook, {
        nativeId: `${config.org}#${hook.id}`,
        manageUrl: `${web}/organizations/${config.org}/settings/hooks/${hook.id}`,
        target: { breadth: 'tenant', type: 'organization', id: config.org },
      });
    }
  },
};

/**
 * Repository webhooks. GitHub has no bulk or GraphQL view of webhooks, so this is one REST call per
 * repository; it runs last and checks the rate budget before it starts.
 */
export const repoWebhooks: GithubCollector = {
  name: 'repo-webhooks',
  description: 'Repository webhooks (target host, events, active, insecure SSL); one request per repository',
  requires: 'Repository permission "Webhooks: read"',
  async *collect(scan: GithubScan): AsyncGenerator<ModelRecordInput> {
    const { client, ctx, web } = scan;
    const repos = requireRepositories(scan);
    if (!client.budget.affords('core', repos.length)) {
      throw client.budget.exhausted(
        'core',
        { method: 'GET', path: '/repos/{owner}/{repo}/hooks' },
        undefined,
        repos.length,
      );
    }
    ctx.progress.start('github: repository webhooks', repos.length);
    const notFound: MinimalRepository[] = [];
    const listed = await Promise.all(
      repos.map((repo) =>
        ctx.limit(async () => {
          const hooks: Hook[] = [];
          try {
            for await (const h of client.list(
              'GET /repos/{owner}/{repo}/hooks',
              { owner: repo.owner.login, repo: repo.name },
              HookSchema,
            )) {
              hooks.push(h);
            }
          } catch (err) {
            // A 404 is not "no hooks": the repository may be gone, or the app may lack a permission.
            if (!(err instanceof ApiError && err.status === 404)) throw err;
            notFound.push(repo);
            return null;
          } finally {
            ctx.progress.tick('github: repository webhooks');
          }
          return { repo, hooks };
        }),
      ),
    );
    ctx.progress.done('github: repository webhooks');
    const api = {
      method: 'GET',
      path: '/repos/{owner}/{repo}/hooks',
      requiredPermission: 'repository_hooks=read',
    };
    const gone = await repositoriesGone(scan, notFound, api);
    const present = notFound.filter((r) => !gone.has(r.full_name));
    if (present.length > 0) throw childListNotFound(api, present, 'webhooks');
    if (gone.size > 0) {
      ctx.coverage.note(
        'repo-webhooks',
        `${gone.size} repositories were deleted while scanning (no longer found): ${[...gone].slice(0, 5).join(', ')}`,
      );
    }
    const perRepo = listed.filter((x) => x !== null);
    for (const { repo, hooks } of perRepo) {
      for (const hook of hooks) {
        yield* hookRecords(scan, 'repo-webhooks', hook, {
          nativeId: `${repo.full_name}#${hook.id}`,
          manageUrl: `${web}/${repo.full_name}/settings/hooks/${hook.id}`,
          target: { breadth: 'resource', type: 'repository', id: repo.full_name },
        });
      }
    }
  },
};
