import { defineCollector } from '../../../src/connector/collector.js';
import type { ModelRecordInput } from '../../../src/model/record.js';
import { hookRecords, type RecordScope, scopeOf } from '../records.js';
import { type Hook, Hook as HookSchema } from '../schema.js';
import type { GithubSession } from '../session.js';

const NAME = 'org-webhooks';

/** Each organisation webhook as an identity with one grant per event, reaching the whole org. */
export function* orgWebhookRecords(hooks: readonly Hook[], scope: RecordScope): Generator<ModelRecordInput> {
  for (const hook of hooks) {
    yield* hookRecords(scope, NAME, hook, {
      nativeId: `${scope.org}#${hook.id}`,
      manageUrl: `${scope.web}/organizations/${scope.org}/settings/hooks/${hook.id}`,
      target: { breadth: 'tenant', type: 'organization', id: scope.org },
    });
  }
}

/** Organisation webhooks (target host, events, active, insecure SSL). */
export const orgWebhooks = defineCollector<GithubSession, Hook[]>({
  name: NAME,
  description: 'Organisation webhooks (target host, events, active, insecure SSL)',
  permissions: ['Organization permission "Webhooks: read"'],
  async fetch({ client, config }) {
    const hooks: Hook[] = [];
    for await (const hook of client.list('GET /orgs/{org}/hooks', { org: config.org }, HookSchema))
      hooks.push(hook);
    return hooks;
  },
  transform: (hooks, session) => orgWebhookRecords(hooks, scopeOf(session)),
});
