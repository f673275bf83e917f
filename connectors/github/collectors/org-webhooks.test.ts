import { describe, expect, it } from 'vitest';
import type { Hook } from '../schema.js';
import { orgWebhookRecords } from './org-webhooks.js';

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

describe('org-webhooks records', () => {
  it('names an organisation webhook by org and id, and grants it on the org', () => {
    const [identity, grant] = [...orgWebhookRecords([hook], scope)];
    expect(identity).toMatchObject({
      collector: 'org-webhooks',
      nativeId: 'acme#202',
      manageUrl: 'https://ghe.example.com/organizations/acme/settings/hooks/202',
    });
    expect(grant).toMatchObject({ target: { breadth: 'tenant', type: 'organization', id: 'acme' } });
  });
});
