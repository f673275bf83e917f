import { describe, expect, it } from 'vitest';
import { describeFieldChanges } from './change-wording.js';

describe('what changed, in words', () => {
  it('never names the raw API object; a raw-only change says nothing', () => {
    expect(describeFieldChanges({ raw: { a: 1 } }, { raw: { a: 2 } }, ['raw'])).toBe('');
  });

  it('opens attributes key by key, with before and after', () => {
    const before = { attributes: { repositorySelection: 'selected', publisherVerified: false }, raw: {} };
    const after = { attributes: { repositorySelection: 'all', publisherVerified: false }, raw: { x: 1 } };
    expect(describeFieldChanges(before, after, ['attributes', 'raw'])).toBe(
      'repository selection: "selected" → "all"',
    );
  });

  it('lists what joined and left a list, owners by name, dates as days', () => {
    expect(
      describeFieldChanges(
        {
          attributes: { scopes: ['openid', 'gmail.readonly'] },
          owners: [{ id: '1', name: 'ben' }],
          createdAt: '2026-08-28T10:00:00Z',
        },
        {
          attributes: { scopes: ['openid', 'gmail.send'] },
          owners: [{ id: '2', name: 'ana' }],
          createdAt: '2026-09-27T10:00:00Z',
        },
        ['attributes', 'owners', 'createdAt'],
      ),
    ).toBe('scopes: +gmail.send, -gmail.readonly; owners: +ana, -ben; created: "2026-08-28" → "2026-09-27"');
  });
});
