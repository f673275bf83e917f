import type { Json, PrincipalRef, Tenant, UsageSignal } from '../../src/model/common.js';
import type { ModelRecordInput } from '../../src/model/record.js';
import type { MemberDirectory } from './collectors/members.js';
import { webhookEventRisk } from './risk.js';
import type { Hook } from './schema.js';
import type { GithubSession } from './session.js';

/**
 * Helpers the collectors' record builders share. Everything here is pure: plain data in, model
 * records out, so the builders are unit-tested without HTTP.
 */
export const PLATFORM = 'github';

/** What records are built from besides a collector's own data: the org, and membership to judge people by. */
export interface RecordScope {
  readonly org: string;
  readonly tenant: Tenant;
  /** Web UI base (github.com or the GHES host) for manageUrl links. */
  readonly web: string;
  /** The org's members as the `members` collector read them; null when it read none (nobody can be judged). */
  readonly members: MemberDirectory | null;
}

export function scopeOf(session: GithubSession, members: MemberDirectory | null = null): RecordScope {
  return { org: session.config.org, tenant: session.tenant, web: session.web, members };
}

/** The fields every record of a collector carries. */
export function recordBase(scope: RecordScope, collector: string) {
  return { platform: PLATFORM, tenant: scope.tenant, collector } as const;
}

const isBot = (login: string) => login.endsWith('[bot]');

/** A GitHub user as an owner or principal, with whether they are still an org member. */
export function person(scope: RecordScope, login: string): PrincipalRef {
  const bot = isBot(login);
  return {
    id: login,
    name: login,
    type: bot ? 'service' : 'user',
    active: bot ? null : (scope.members?.isActive(login) ?? null),
  };
}

/**
 * An identity's owners, judged by org membership. `ownersKnown` is false when the member list could
 * not be read and says nothing this time about one of them, so that the ownership rule and the diff
 * leave them alone rather than call the identity ownerless. Bots are never members: not judged.
 */
export function ownersOf(
  scope: RecordScope,
  logins: readonly string[],
): { owners: PrincipalRef[]; ownersKnown: boolean } {
  return {
    owners: logins.map((login) => person(scope, login)),
    ownersKnown: logins.every((login) => isBot(login) || (scope.members?.verified(login) ?? false)),
  };
}

/** A usage signal: `at: null` means the source says never used. */
export function usage(at: string | null | undefined, source: string): UsageSignal {
  return { at: at ? normaliseTimestamp(at) : null, source };
}

/** GitHub sends `2017-05-16T08:47:09.000-07:00` as well as `…Z`; the model wants ISO with offset. */
export function normaliseTimestamp(value: string): string {
  const d = new Date(value);
  if (Number.isNaN(d.getTime())) return value;
  return d.toISOString().replace(/\.000Z$/, 'Z');
}

export function ts(value: string | null | undefined): string | null {
  return value ? normaliseTimestamp(value) : null;
}

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

/** A webhook (organisation or repository) as an identity with one grant per event it subscribes to. */
export function* hookRecords(
  scope: RecordScope,
  collector: string,
  hook: Hook,
  where: {
    nativeId: string;
    manageUrl: string;
    target: { breadth: 'tenant' | 'resource'; type: string; id: string };
  },
): Generator<ModelRecordInput> {
  const base = recordBase(scope, collector);
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
