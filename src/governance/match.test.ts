import { describe, expect, it } from 'vitest';
import { EntryIndex, globRegExp, type MatchTarget, matchesIdentity } from './match.js';

const renovate: MatchTarget = {
  platform: 'github',
  tenant: 'acme-corp',
  kind: 'github-app-installation',
  nativeId: '71003',
  name: 'Renovate',
  publisher: 'mend',
};

describe('governance matcher', () => {
  it('matches by platform and native id, case-insensitively, and not across platforms', () => {
    expect(matchesIdentity({ platform: 'github', id: '71003' }, renovate)).toBe(true);
    expect(matchesIdentity({ platform: 'GitHub', id: '71003' }, renovate)).toBe(true);
    expect(matchesIdentity({ platform: 'microsoft365', id: '71003' }, renovate)).toBe(false);
    expect(matchesIdentity({ platform: 'github', id: '71004' }, renovate)).toBe(false);
  });

  it('matches by publisher, kind and display-name glob; every key given must match', () => {
    expect(matchesIdentity({ publisher: 'MEND' }, renovate)).toBe(true);
    expect(matchesIdentity({ name: 'reno*' }, renovate)).toBe(true);
    expect(matchesIdentity({ name: 'Renovat?' }, renovate)).toBe(true);
    expect(matchesIdentity({ name: 'Renovat' }, renovate)).toBe(false);
    expect(matchesIdentity({ kind: 'github-app-installation', name: 'slack' }, renovate)).toBe(false);
    expect(matchesIdentity({ kind: 'deploy-key', publisher: 'mend' }, renovate)).toBe(false);
    expect(matchesIdentity({ tenant: 'other-org', publisher: 'mend' }, renovate)).toBe(false);
  });

  it('treats glob text literally apart from * and ?, and never matches a missing name or publisher', () => {
    expect(globRegExp('a.b(c)+').test('a.b(c)+')).toBe(true);
    expect(globRegExp('a.b').test('axb')).toBe(false);
    expect(matchesIdentity({ name: '*' }, { ...renovate, name: null })).toBe(false);
    expect(matchesIdentity({ publisher: 'mend' }, { ...renovate, publisher: null })).toBe(false);
  });

  it('an index finds id entries and pattern entries alike, in file order', () => {
    const entries = [
      { match: { publisher: 'mend' }, n: 0 },
      { match: { platform: 'github', id: '71003' }, n: 1 },
      { match: { platform: 'github', id: '71004' }, n: 2 },
      { match: { name: 'ren*' }, n: 3 },
    ];
    const index = new EntryIndex(entries);
    expect(index.find(renovate).map((e) => e.n)).toEqual([0, 1, 3]);
    expect(
      index.find({ ...renovate, nativeId: '71004', name: 'x', publisher: null }).map((e) => e.n),
    ).toEqual([2]);
  });
});
