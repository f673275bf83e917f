import type { CollectorRun } from '../../../src/connector/collector.js';
import { defineCollector, PartialFailure } from '../../../src/connector/collector.js';
import type { PreviousSnapshot } from '../../../src/connector/context.js';
import { describeError } from '../../../src/errors.js';
import type { PrincipalRef } from '../../../src/model/common.js';
import type { PersonInput } from '../../../src/model/person.js';
import { SimpleUser } from '../schema.js';
import type { GithubSession } from '../session.js';

const NAME = 'members';

/** The kinds whose owners, principals or creators are judged by membership. */
const JUDGED_KINDS = [
  'github-app-installation',
  'fine-grained-pat',
  'fine-grained-pat-request',
  'sso-credential',
  'deploy-key',
];

/**
 * Org membership, which owners are judged against (still a member or not). If the member list could
 * not be read completely, logins it did not list are judged by what the previous scan knew
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

  /** The members read (all of them when `complete`). */
  list(): Array<{ login: string; id: number; role: 'admin' | 'member' }> {
    return [...this.members.values()];
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

/**
 * Org members and owners. Its directory tells the other collectors (`enrichedBy`) whether a PAT
 * owner, a deploy key's creator or a declared app owner is still in the organisation, and it emits
 * each member as a person record (`listing: directory`): someone missing from a complete member list
 * is no longer a member, which is how a registered owner who left is told (governance).
 * If the list cannot be read, the collector fails but hands on what it read, with the previous scan's
 * view of everyone else carried over (see `carryOverMembership`).
 */
export const members = defineCollector<GithubSession, MemberDirectory>({
  name: NAME,
  description: 'Organisation members and owners (to judge whether owners are still active)',
  permissions: ['Organization permission "Members: read"'],
  async fetch({ client, config }, run) {
    const dir = new MemberDirectory();
    try {
      let owners = 0;
      for await (const u of client.list(
        'GET /orgs/{org}/members',
        { org: config.org, role: 'admin' },
        SimpleUser,
      )) {
        dir.add(u.login, u.id, 'admin');
        owners += 1;
      }
      for await (const u of client.list(
        'GET /orgs/{org}/members',
        { org: config.org, role: 'member' },
        SimpleUser,
      )) {
        dir.add(u.login, u.id, 'member');
      }
      dir.complete = true;
      run.ctx.coverage.note(NAME, `${dir.size} members, ${owners} of them owners`);
      return dir;
    } catch (err) {
      await carryOverMembership(dir, run);
      throw new PartialFailure(err, dir);
    }
  },
  // The members read, also those of a partial read: the collector is failed then, so the store
  // carries over the people it did not list rather than treat them as gone.
  *transform(dir, { tenant }) {
    for (const m of dir.list()) {
      yield {
        type: 'person',
        platform: 'github',
        tenant,
        nativeId: String(m.id),
        name: m.login,
        status: 'active',
        listing: 'directory',
        attributes: { role: m.role },
        collector: NAME,
      } satisfies PersonInput;
    }
  },
});

/**
 * Without a complete member list, whether someone is still a member is taken from the previous scan
 * (its owners, token users and key creators), so that a failed `members` collector neither rewrites
 * every grant made for a member (active true → null) nor drops what it knew about people who left.
 * Identities judged this way are marked `ownersKnown: false`: not verified this time.
 */
async function carryOverMembership(dir: MemberDirectory, run: CollectorRun): Promise<void> {
  const { ctx } = run;
  const { previous } = ctx;
  if (previous.scanId === null) {
    ctx.coverage.note(
      NAME,
      'no previous scan to take membership from: whether owners and token users are still members is unknown',
    );
    return;
  }
  let known: Map<string, boolean | null>;
  try {
    known = await membershipIn(previous);
  } catch (err) {
    ctx.logger.warn('github: could not read the previous scan for membership', { error: describeError(err) });
    ctx.coverage.note(
      NAME,
      `the previous scan #${previous.scanId} could not be read (${describeError(err)}): membership is unknown`,
    );
    return;
  }
  let carried = 0;
  for (const [login, active] of known) {
    if (active === null) continue;
    dir.carryOver(login, active);
    carried += 1;
  }
  ctx.coverage.note(
    NAME,
    `membership of ${carried} user${carried === 1 ? '' : 's'} carried over from scan #${previous.scanId}` +
      `${previous.scannedAt ? ` (${previous.scannedAt})` : ''}; owners not verified this time are marked unknown`,
  );
}

/** What a previous scan said of each person's membership (null where its records disagree). */
async function membershipIn(previous: PreviousSnapshot): Promise<Map<string, boolean | null>> {
  const known = new Map<string, boolean | null>();
  const remember = (p: PrincipalRef | null | undefined) => {
    if (p?.type !== 'user' || typeof p.active !== 'boolean') return;
    const key = p.id.toLowerCase();
    const seen = known.get(key);
    // Records of one scan agree; if they ever do not, the login stays unknown.
    known.set(key, seen === undefined || seen === p.active ? p.active : null);
  };
  for await (const bundle of previous.bundles({ kinds: JUDGED_KINDS, types: ['identity', 'grant'] })) {
    for (const owner of bundle.identity?.owners ?? []) remember(owner);
    for (const g of bundle.grants) {
      remember(g.principal);
      remember(g.grantedBy);
    }
  }
  return known;
}
