import { describe, expect, it } from 'vitest';
import {
  appPermissionBaseRisk,
  appPermissionRisk,
  catalogEntries,
  collaboratorRisk,
  deployKeyRisk,
  oauthScopeRisk,
  permissionScope,
  webhookEventRisk,
} from './risk.js';

/** Every permission in GitHub's app-permissions schema (REST description 2022-11-28), with its levels. */
async function publishedPermissions(): Promise<Array<[string, string]>> {
  const { readFile } = await import('node:fs/promises');
  const { createRequire } = await import('node:module');
  const file = createRequire(import.meta.url).resolve('@octokit/openapi/generated/ghec.json');
  const doc = JSON.parse(await readFile(file, 'utf8'));
  const props = doc.components.schemas['app-permissions'].properties as Record<string, { enum: string[] }>;
  return Object.entries(props).flatMap(([name, p]) =>
    p.enum.map((level) => [name, level] as [string, string]),
  );
}

describe('GitHub risk tiers', () => {
  it('tiers every published app permission at every level from the catalog or a stated derivation, never the fallback', async () => {
    const pairs = await publishedPermissions();
    expect(pairs.length).toBeGreaterThan(100);
    for (const [name, level] of pairs) {
      const risk = appPermissionBaseRisk(name, level);
      expect(risk.source, `${name}:${level}`).not.toBe('grantscope default by access level');
      expect(['low', 'medium', 'high', 'critical']).toContain(risk.tier);
    }
  });

  it('takes catalog tiers first and cites the catalog', () => {
    for (const e of catalogEntries().filter((e) => e.kind === 'app-permission')) {
      const risk = appPermissionBaseRisk(e.permission, e.level);
      expect(risk.tier).toBe(e.risk);
      expect(risk.source).toMatch(/^catalog: github app-permission/);
    }
  });

  it('escalates repository write access on all repositories by one tier, and nothing else', () => {
    expect(appPermissionRisk('contents', 'write', { allRepositories: false }).tier).toBe('high');
    expect(appPermissionRisk('contents', 'write', { allRepositories: true }).tier).toBe('critical');
    expect(appPermissionRisk('checks', 'write', { allRepositories: true }).tier).toBe('high');
    expect(appPermissionRisk('contents', 'read', { allRepositories: true }).tier).toBe('medium');
    // Organisation permissions do not depend on the repository selection.
    expect(appPermissionRisk('members', 'write', { allRepositories: true }).tier).toBe('critical');
    expect(appPermissionRisk('organization_hooks', 'write', { allRepositories: true }).tier).toBe('high');
    expect(permissionScope('organization_secrets')).toBe('organization');
    expect(permissionScope('workflows')).toBe('repository');
  });

  it('falls back by access level for a permission GitHub adds later, and says so', () => {
    expect(appPermissionBaseRisk('shiny_new_thing', 'write')).toMatchObject({
      tier: 'medium',
      source: 'grantscope default by access level',
    });
    expect(appPermissionBaseRisk('shiny_new_thing', 'read').tier).toBe('low');
  });

  it('ranks admin-scoped tokens highest and maps every catalogued OAuth scope', () => {
    expect(oauthScopeRisk('repo')).toMatchObject({ risk: { tier: 'critical' }, access: 'admin' });
    expect(oauthScopeRisk('admin:org')).toMatchObject({ risk: { tier: 'critical' }, access: 'admin' });
    expect(oauthScopeRisk('read:org')).toMatchObject({ risk: { tier: 'low' }, access: 'read' });
    expect(oauthScopeRisk('write:discussion')).toMatchObject({ risk: { tier: 'low' }, access: 'write' });
    expect(oauthScopeRisk('admin:something_new')).toMatchObject({ risk: { tier: 'high' }, access: 'admin' });
    for (const e of catalogEntries().filter((e) => e.kind === 'oauth-scope')) {
      expect(oauthScopeRisk(e.permission).risk.tier).toBe(e.risk);
    }
  });

  it('ranks admin-scoped tokens critical: classic/OAuth admin scopes and fine-grained admin permissions', () => {
    for (const scope of ['repo', 'admin:org', 'admin:enterprise', 'site_admin']) {
      expect(oauthScopeRisk(scope), scope).toMatchObject({ risk: { tier: 'critical' }, access: 'admin' });
    }
    for (const permission of ['administration', 'organization_administration', 'enterprise_administration']) {
      expect(appPermissionRisk(permission, 'write', { allRepositories: false }).tier, permission).toBe(
        'critical',
      );
    }
  });

  it('ranks write deploy keys critical (admin-equivalent on their repository), saying why', () => {
    const write = deployKeyRisk(false);
    expect(write.tier).toBe('critical');
    expect(write.reason).toMatch(/admin access/);
    expect(write.reason).toMatch(/Ranked critical/);
    expect(write.source).toMatch(/^catalog: github deploy-key/);
    // As high as repository administration, which it amounts to.
    expect(write.tier).toBe(appPermissionBaseRisk('administration', 'write').tier);
  });

  it('ranks read-only deploy keys medium, and outside collaborators by role', () => {
    expect(deployKeyRisk(true).tier).toBe('medium');
    expect(collaboratorRisk('admin').tier).toBe('critical');
    expect(collaboratorRisk('write').tier).toBe('high');
    expect(collaboratorRisk('maintain').reason).toMatch(/maintain/);
  });

  it('raises webhooks delivered insecurely', () => {
    expect(webhookEventRisk({ insecureSsl: false, plaintext: false }).tier).toBe('low');
    expect(webhookEventRisk({ insecureSsl: true, plaintext: false }).tier).toBe('medium');
    expect(webhookEventRisk({ insecureSsl: false, plaintext: true }).reason).toMatch(/plain HTTP/);
  });
});
