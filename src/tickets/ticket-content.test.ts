import { describe, expect, it } from 'vitest';
import type { Finding } from '../findings/finding.js';
import { ticketContent } from './ticket-content.js';
import { itemHash, itemOf } from './ticket-item.js';

const hostile = `Evil\u202eppA\u0007 ${'x'.repeat(5000)}`;

function finding(over: Partial<Finding> = {}): Finding {
  return {
    fingerprint: 'fp1',
    rule: 'over-privileged',
    severity: 'high',
    platform: 'github',
    tenant: 'acme',
    identity: { kind: 'github-app-installation', id: '1', name: hostile },
    subject: null,
    title: `${hostile} can administer every repository`,
    evidence: { description: hostile, grants: ['administration:write'] },
    remediation: 'Reduce the permissions.',
    frameworks: { owaspNhi: [], nistCsf: [], other: [] },
    firstSeen: '2026-01-01T00:00:00Z',
    lastSeen: '2026-01-01T00:00:00Z',
    scanId: 1,
    ...over,
  };
}

describe('ticket content', () => {
  it('makes third-party text visible-safe and cuts it before any sink sees it', () => {
    const f = finding();
    const c = ticketContent('fp1', 'finding', new Map([['fp1', { item: itemOf(f), finding: f }]]));
    const all = JSON.stringify(c);
    expect(all).not.toContain('\u202e');
    expect(all).not.toContain('\u0007');
    expect(all).toContain('\\\\u202e');
    expect(c.title.length).toBeLessThanOrEqual(250 + 20);
    expect(all.length).toBeLessThan(5000);
    expect(itemOf(f).title.length).toBeLessThanOrEqual(270);
  });

  it('hashes severity and evidence, not the clock-derived counts or the key order', () => {
    const base = finding({ evidence: { lastUsedAt: '2026-01-01', daysSinceLastUse: 10, b: 1, a: 2 } });
    expect(itemHash(base)).toBe(
      itemHash(finding({ evidence: { a: 2, b: 1, daysSinceLastUse: 11, lastUsedAt: '2026-01-01' } })),
    );
    expect(itemHash(base)).not.toBe(itemHash({ ...base, severity: 'critical' }));
    expect(itemHash(base)).not.toBe(
      itemHash(finding({ evidence: { lastUsedAt: '2026-02-01', daysSinceLastUse: 10, b: 1, a: 2 } })),
    );
  });
});
