import type { ConnectorContext } from '../../src/connector/context.js';
import type { LegacyCollectorDescriptor as CollectorDescriptor } from '../../src/connector/legacy.js';
import { ApiError, describeError } from '../../src/errors.js';
import type { PrincipalRef, Tenant, UsageSignal } from '../../src/model/common.js';
import type { ModelRecordInput } from '../../src/model/record.js';
import type { GithubClient } from './client.js';
import type { GithubConfig } from './config.js';
import { type MinimalRepository, RepositoryPresence } from './schema.js';

/**
 * Org membership, collected first so that owners can be judged (still a member or not). If the member
 * list could not be read completely, logins it did not list are judged by what the previous scan knew
 * (`carryOver`), else unknown (null), never "inactive"; either way they count as not verified this time.
 */
export class MemberDirectory {
  private readonly members = new Map<string, { login: string; id: number; role: 'admin' | 'member' }>();
  private readonly carried = new Map<string, boolean>();
  /** Whether the member list was read completely; if not, activity is unknown (null), never "inactive". */
  complete = false;

  add(login: string, id: number, role: 'admin' | 'member'): void {
    const key = login.toLowerCase();
    const known = this.members.get(key);
    if (!known || role === 'admin') this.members.set(key, { login, id, role });
  }

  /** Last known membership from the previous scan, used only while the member list is incomplete. */
  carryOver(login: string, active: boolean): void {
    this.carried.set(login.toLowerCase(), active);
  }

  get size(): number {
    return this.members.size;
  }

  /** true = member, false = not a member (left, or never was), null = cannot tell. */
  isActive(login: string): boolean | null {
    if (this.members.has(login.toLowerCase())) return true;
    if (this.complete) return false;
    return this.carried.get(login.toLowerCase()) ?? null;
  }

  /** Whether this scan's member list says for itself whether `login` is a member. */
  verified(login: string): boolean {
    return this.complete || this.members.has(login.toLowerCase());
  }

  role(login: string): 'admin' | 'member' | null {
    return this.members.get(login.toLowerCase())?.role ?? null;
  }
}

/** What every collector of one scan shares. */
export interface GithubScan {
  readonly config: GithubConfig;
  readonly ctx: ConnectorContext;
  readonly client: GithubClient;
  readonly tenant: Tenant;
  /** Web UI base (github.com or the GHES host) for manageUrl links. */
  readonly web: string;
  readonly members: MemberDirectory;
  /** The org's repositories, once the `repositories` collector has listed them; null if it failed. */
  repositories: MinimalRepository[] | null;
  /** Why the repository list is missing (the `repositories` collector's error). */
  repositoriesError: unknown;
}

export const PLATFORM = 'github';

/** One collector: a descriptor plus the generator of its records. */
export interface GithubCollector extends CollectorDescriptor {
  collect(scan: GithubScan): AsyncGenerator<ModelRecordInput>;
}

/** The fields every record of a collector carries. */
export function recordBase(scan: GithubScan, collector: string) {
  return { platform: PLATFORM, tenant: scan.tenant, collector } as const;
}

const isBot = (login: string) => login.endsWith('[bot]');

/** A GitHub user as an owner or principal, with whether they are still an org member. */
export function person(scan: GithubScan, login: string): PrincipalRef {
  const bot = isBot(login);
  return {
    id: login,
    name: login,
    type: bot ? 'service' : 'user',
    active: bot ? null : scan.members.isActive(login),
  };
}

/**
 * An identity's owners, judged by org membership. `ownersKnown` is false when the member list could
 * not be read and says nothing this time about one of them, so that the ownership rule and the diff
 * leave them alone rather than call the identity ownerless. Bots are never members: not judged.
 */
export function ownersOf(
  scan: GithubScan,
  logins: readonly string[],
): { owners: PrincipalRef[]; ownersKnown: boolean } {
  return {
    owners: logins.map((login) => person(scan, login)),
    ownersKnown: logins.every((login) => isBot(login) || scan.members.verified(login)),
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

/** Repositories a fan-out collector may rely on, or an error saying why not. */
export function requireRepositories(scan: GithubScan): MinimalRepository[] {
  if (scan.repositories) return scan.repositories;
  const cause = scan.repositoriesError;
  if (cause instanceof ApiError) {
    return fail(
      new ApiError(cause.api, cause.status, `repository list unavailable: ${cause.message}`, cause.detail, {
        cause,
      }),
    );
  }
  return fail(
    new Error(
      `repository list unavailable: ${cause ? describeError(cause) : 'the repositories collector did not run'}`,
    ),
  );
}

function fail(err: Error): never {
  throw err;
}

/**
 * Which of `repos`, listed earlier in this scan, are gone now. Asked when a repository's child list
 * (deploy keys, hooks, collaborators) answered 404 or NOT_FOUND: GitHub answers 404 for a deleted
 * repository, but also "in some places" instead of 403 where a permission is missing ("to prevent the
 * accidental leakage of private repositories", docs.github.com/rest/using-the-rest-api/
 * troubleshooting-the-rest-api#404-not-found-for-an-existing-resource), and a 404 can be transient.
 * Only a repository the parent lookup cannot resolve either is gone and takes its children with it;
 * any other answer keeps it present, so the caller fails rather than report its children removed.
 *
 * The lookup is GraphQL `repository(owner:, name:)`, up to `graphqlBatchSize` per query: it needs only
 * metadata: read, which listing the repositories already proved, and is null with a NOT_FOUND error
 * for a repository that does not resolve ("Could not resolve to a Repository with the name …").
 */
export async function repositoriesGone(
  scan: GithubScan,
  repos: readonly MinimalRepository[],
  api: { method: string; path: string },
): Promise<Set<string>> {
  const { client, config, ctx } = scan;
  const gone = new Set<string>();
  if (repos.length === 0) return gone;
  const batches = chunks(repos, config.graphqlBatchSize);
  if (!client.budget.affords('graphql', batches.length)) {
    throw client.budget.exhausted('graphql', { method: 'POST', path: '/graphql' }, undefined, batches.length);
  }
  await Promise.all(
    batches.map((batch) =>
      ctx.limit(async () => {
        const vars: Record<string, unknown> = {};
        const fields = batch.map((r, i) => {
          vars[`o${i}`] = r.owner.login;
          vars[`n${i}`] = r.name;
          return `r${i}: repository(owner: $o${i}, name: $n${i}) { nameWithOwner }`;
        });
        const decl = batch.map((_, i) => `$o${i}: String!, $n${i}: String!`).join(', ');
        const { data, errors } = await client.graphql(
          `query RepositoriesPresent(${decl}) { ${fields.join(' ')} }`,
          vars,
          RepositoryPresence,
        );
        batch.forEach((r, i) => {
          if (data[`r${i}`]) return;
          const why = errors.find((e) => e.path?.[0] === `r${i}`);
          if (why?.type !== 'NOT_FOUND') {
            throw new ApiError(
              'GitHub GraphQL',
              why?.type === 'FORBIDDEN' ? 403 : null,
              `${api.method} ${api.path} answered not found for ${r.full_name}, and checking whether the repository still exists failed: ${why?.message ?? 'no answer for it'}`,
              { method: 'POST', path: '/graphql repository' },
            );
          }
          gone.add(r.full_name);
        });
      }),
    ),
  );
  return gone;
}

/**
 * The error for child lists that answered not found while their repository still exists: the
 * collector fails, so its records are carried over instead of being reported removed.
 */
export function childListNotFound(
  api: { method: string; path: string; requiredPermission?: string },
  present: readonly MinimalRepository[],
  what: string,
  apiName = 'GitHub REST',
): ApiError {
  const names = present.map((r) => r.full_name);
  const shown = names.slice(0, 5).join(', ') + (names.length > 5 ? `, … (${names.length} in all)` : '');
  return new ApiError(
    apiName,
    404,
    `not found for ${names.length} repositor${names.length === 1 ? 'y' : 'ies'} that still exist (${shown}): ` +
      `GitHub answers 404 where a permission is missing${api.requiredPermission ? ` (${api.requiredPermission.replace(/=/g, ': ')})` : ''}, and a 404 can be transient; their ${what} are kept from the previous scan, not reported removed`,
    {
      method: api.method,
      path: api.path,
      ...(api.requiredPermission ? { requiredPermission: api.requiredPermission } : {}),
    },
  );
}

/** For collectors that gather context for others and emit no records of their own. */
export async function* withoutRecords(work: () => Promise<void>): AsyncGenerator<ModelRecordInput> {
  await work();
  yield* [];
}

/** Split `list` into chunks of `size`. */
export function chunks<T>(list: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < list.length; i += size) out.push(list.slice(i, i + size));
  return out;
}
