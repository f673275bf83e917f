import { describeError } from '../../../src/errors.js';
import type { PrincipalRef } from '../../../src/model/common.js';
import type { ModelRecordInput } from '../../../src/model/record.js';
import { type GithubCollector, type GithubScan, withoutRecords } from '../scan-context.js';
import { SimpleUser } from '../schema.js';

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
 * Org members and owners. Emits no records: it tells the other collectors whether a PAT owner, a
 * deploy key's creator or a declared app owner is still in the organisation. If the list cannot be
 * read, the previous scan's view of those people is carried over (see `carryOverMembership`).
 */
export const members: GithubCollector = {
  name: NAME,
  description: 'Organisation members and owners (to judge whether owners are still active)',
  requires: 'Organization permission "Members: read"',
  collect: (scan: GithubScan): AsyncGenerator<ModelRecordInput> =>
    withoutRecords(async () => {
      const { client, config, members: dir, ctx } = scan;
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
        ctx.coverage.countItems(NAME, dir.size);
        ctx.coverage.note(NAME, `${dir.size} members, ${owners} of them owners`);
      } catch (err) {
        await carryOverMembership(scan);
        throw err;
      }
    }),
};

/**
 * Without a complete member list, whether someone is still a member is taken from the previous scan
 * (its owners, token users and key creators), so that a failed `members` collector neither rewrites
 * every grant made for a member (active true → null) nor drops what it knew about people who left.
 * Identities judged this way are marked `ownersKnown: false`: not verified this time.
 */
async function carryOverMembership(scan: GithubScan): Promise<void> {
  const { ctx, members: dir } = scan;
  const { previous } = ctx;
  if (previous.scanId === null) {
    ctx.coverage.note(
      NAME,
      'no previous scan to take membership from: whether owners and token users are still members is unknown',
    );
    return;
  }
  const known = new Map<string, boolean | null>();
  const remember = (p: PrincipalRef | null | undefined) => {
    if (p?.type !== 'user' || typeof p.active !== 'boolean') return;
    const key = p.id.toLowerCase();
    const seen = known.get(key);
    // Records of one scan agree; if they ever do not, the login stays unknown.
    known.set(key, seen === undefined || seen === p.active ? p.active : null);
  };
  try {
    for await (const bundle of previous.bundles({ kinds: JUDGED_KINDS })) {
      for (const owner of bundle.identity?.owners ?? []) remember(owner);
      for (const g of bundle.grants) {
        remember(g.principal);
        remember(g.grantedBy);
      }
    }
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
