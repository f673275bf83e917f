import { describe, expect, it } from 'vitest';
import { delegatedScopeRisk, scopeRisk } from './risk.js';

const S = 'https://www.googleapis.com/auth/';

describe('Google scope risk', () => {
  it('ranks full Gmail, full Drive, Admin SDK write scopes and cloud-platform highest', () => {
    for (const scope of [
      'https://mail.google.com/',
      `${S}drive`,
      `${S}cloud-platform`,
      `${S}admin.directory.user`,
    ]) {
      expect([scope, scopeRisk(scope).risk.tier]).toEqual([scope, 'critical']);
    }
    // The catalog says high; every Admin SDK write scope is raised to critical.
    expect(scopeRisk(`${S}admin.directory.group`)).toMatchObject({
      access: 'write',
      risk: { tier: 'critical' },
    });
    expect(scopeRisk(`${S}admin.directory.user.readonly`)).toMatchObject({
      access: 'read',
      risk: { tier: 'medium' },
    });
  });

  it('takes the rest from the catalog, with aliases and read-only forms', () => {
    expect(scopeRisk(`${S}gmail.send`)).toMatchObject({ access: 'write', risk: { tier: 'high' } });
    expect(scopeRisk(`${S}drive.file`)).toMatchObject({ risk: { tier: 'low' } });
    expect(scopeRisk(`${S}userinfo.email`)).toMatchObject({ access: 'read', risk: { tier: 'low' } });
    // Not in the catalog, read-only form of a medium scope: one step lower, read.
    expect(scopeRisk(`${S}calendar.readonly`)).toMatchObject({ access: 'read', risk: { tier: 'low' } });
    expect(scopeRisk(`${S}chromesync`)).toMatchObject({ access: 'write', risk: { tier: 'unknown' } });
  });

  it('ranks any domain-wide delegation at least high, one step above the scope', () => {
    expect(delegatedScopeRisk('openid').risk.tier).toBe('high');
    expect(delegatedScopeRisk(`${S}calendar`).risk.tier).toBe('high');
    expect(delegatedScopeRisk(`${S}gmail.readonly`).risk.tier).toBe('critical');
    expect(delegatedScopeRisk(`${S}chromesync`).risk.tier).toBe('high');
    expect(delegatedScopeRisk(`${S}drive`).risk).toMatchObject({
      tier: 'critical',
      reason: expect.stringMatching(/^Domain-wide delegation/),
    });
  });
});
