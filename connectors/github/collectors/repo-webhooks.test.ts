import { describe, expect, it } from 'vitest';
import type { Hook } from '../schema.js';
import { repoWebhookRecords } from './repo-webhooks.js';

const scope = {
  org: 'acme',
  tenant: { id: 'acme', name: 'acme' },
  web: 'https://ghe.example.com',
  members: null,
};
const hook: Hook = {
  id: 202,
  name: 'web',
  active: true,
  events: ['push'],
  config: { url: 'https://build.example.com/hook' },
  created_at: '2024-01-01T00:00:00Z',
  updated_at: '2024-01-01T00:00:00Z',
};

describe('repo-webhooks records', () => {
  it('names a repository webhook by repository and id, and grants it on that repository', () => {
    const repo = {
      id: 1,
      name: 'web',
      full_name: 'acme/web',
      private: false,
      owner: { login: 'acme', id: 1 },
    };
    const [identity, grant] = [...repoWebhookRecords([{ repo, hooks: [hook] }], scope)];
    expect(identity).toMatchObject({
      collector: 'repo-webhooks',
      nativeId: 'acme/web#202',
      manageUrl: 'https://ghe.example.com/acme/web/settings/hooks/202',
    });
    expect(grant).toMatchObject({
      target: { breadth: 'resource', type: 'repository', id: 'acme/web' },
      risk: { tier: 'low' },
    });
  });
});
