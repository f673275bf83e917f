import type { ModelRecordInput } from '../../../src/model/record.js';
import { type GithubCollector, type GithubScan, withoutRecords } from '../scan-context.js';
import { SimpleUser } from '../schema.js';

/**
 * Org members and owners. Emits no records: it tells the other collectors whether a PAT owner, a
 * deploy key's creator or a declared app owner is still in the organisation.
 */
export const members: GithubCollector = {
  name: 'members',
  description: 'Organisation members and owners (to judge whether owners are still active)',
  requires: 'Organization permission "Members: read"',
  collect: (scan: GithubScan): AsyncGenerator<ModelRecordInput> =>
    withoutRecords(async () => {
      const { client, config, members: dir, ctx } = scan;
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
      ctx.coverage.countItems('members', dir.size);
      ctx.coverage.note('members', `${dir.size} members, ${owners} of them owners`);
    }),
};
