import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { GovernanceFileError, loadGovernance, parseGovernance } from './load.js';

const dir = mkdtempSync(join(tmpdir(), 'gs-governance-'));
const write = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};

const GOOD = `version: 1
owners:
  - match: { platform: github, id: "71003" }
    person: Bob Martins
    team: Platform
    contact: bob@acme.example
    accounts: [{ platform: github, id: bob }]
approvals:
  - match: { publisher: mend }
    permissions: [metadata, { name: contents, access: read }]
    breadth: selected
    credentialTypes: [client-secret]
    maxCredentialLifetimeDays: 180
    approver: Alice Chen
    reference: CHG-1001
    date: 2026-01-10
exceptions:
  - fingerprint: 0123456789ABCDEF0123456789abcdef
    reason: Migration in progress
    approver: Alice Chen
    granted: 2026-11-01
    expires: 2026-12-31
  - rule: stale
    match: { platform: github, kind: fine-grained-pat, name: "q3-*" }
    reason: Quarterly export, used once a quarter
    approver: Erin Okafor
    granted: 2026-11-01
    expires: 2027-01-15
retired:
  - match: { publisher: SonarSource }
    name: SonarCloud
    date: 2026-10-01
reviews:
  - match: { platform: microsoft365, id: 11111111-1111-1111-1111-111111111111 }
    decision: keep
    reviewer: Alice Chen
    date: 2026-01-05
`;

function errorOf(fn: () => unknown): GovernanceFileError {
  try {
    fn();
  } catch (err) {
    if (err instanceof GovernanceFileError) return err;
    throw err;
  }
  throw new Error('expected a GovernanceFileError');
}

describe('governance loader', () => {
  it('reads a file into the Governance shape, with each entry’s line', () => {
    const g = loadGovernance(write('governance.yaml', GOOD));
    expect(g.files).toEqual([join(dir, 'governance.yaml')]);
    expect(g.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(g.owners).toEqual([
      {
        match: { platform: 'github', id: '71003' },
        person: 'Bob Martins',
        team: 'Platform',
        contact: 'bob@acme.example',
        accounts: [{ platform: 'github', id: 'bob' }],
        source: { file: join(dir, 'governance.yaml'), line: 3 },
      },
    ]);
    expect(g.approvals[0]).toMatchObject({
      match: { publisher: 'mend' },
      permissions: ['metadata', 'contents'],
      maxAccess: { contents: 'read' },
      breadth: 'selected',
      maxCredentialLifetimeDays: 180,
      date: '2026-01-10',
      source: { line: 9 },
    });
    expect(g.exceptions.map((e) => [e.fingerprint, e.rule, e.source.line])).toEqual([
      ['0123456789abcdef0123456789abcdef', undefined, 18],
      [undefined, 'stale', 23],
    ]);
    expect(g.retired).toMatchObject([{ name: 'SonarCloud', date: '2026-10-01' }]);
    expect(g.reviews).toMatchObject([{ decision: 'keep', reviewer: 'Alice Chen' }]);
  });

  it('reads a folder’s *.yaml files in name order, and hashes their bytes in that order', () => {
    const folder = join(dir, 'folder');
    mkdirSync(folder);
    writeFileSync(
      join(folder, 'b.yaml'),
      'version: 1\nretired: [{ match: { publisher: x }, name: X, date: 2026-01-01 }]\n',
    );
    writeFileSync(
      join(folder, 'a.yaml'),
      'version: 1\nretired: [{ match: { publisher: y }, name: Y, date: 2026-01-01 }]\n',
    );
    writeFileSync(join(folder, 'notes.txt'), 'not governance');
    const g = loadGovernance(folder);
    expect(g.files.map((f) => f.slice(folder.length + 1))).toEqual(['a.yaml', 'b.yaml']);
    expect(g.retired.map((r) => r.name)).toEqual(['Y', 'X']);
    const swapped = parseGovernance([
      {
        file: 'b.yaml',
        text: 'version: 1\nretired: [{ match: { publisher: x }, name: X, date: 2026-01-01 }]\n',
      },
      {
        file: 'a.yaml',
        text: 'version: 1\nretired: [{ match: { publisher: y }, name: Y, date: 2026-01-01 }]\n',
      },
    ]);
    expect(swapped.hash).not.toBe(g.hash);
    expect(parseGovernance([{ file: 'x', text: 'version: 1\n' }]).hash).not.toBe(
      parseGovernance([{ file: 'x', text: 'version: 1\n\n' }]).hash,
    );
  });

  it('names the file, line and key of a schema error', () => {
    const path = write(
      'bad.yaml',
      'version: 1\nexceptions:\n  - rule: stale\n    match: { platform: github }\n    reason: why\n    granted: 2026-01-01\n    expires: 2026-02-01\n',
    );
    const err = errorOf(() => loadGovernance(path));
    expect(err.file).toBe(path);
    expect(err.issues).toEqual([{ path: 'exceptions[0].approver', line: 3, message: expect.any(String) }]);
    expect(err.message).toContain('line 3: exceptions[0].approver');
  });

  it('points at a misspelt key’s own line, and at a bad date’s line', () => {
    const err = errorOf(() =>
      parseGovernance([
        {
          file: 'g.yaml',
          text: 'version: 1\napprovals:\n  - match: { publisher: mend }\n    approver: A\n    date: 2026-13-01\n    aprover: B\n',
        },
      ]),
    );
    expect(err.issues.map((i) => [i.line, i.path])).toEqual(
      expect.arrayContaining([
        [5, 'approvals[0].date'],
        [6, 'approvals[0]'],
      ]),
    );
    expect(err.issues.find((i) => i.line === 6)?.message).toContain("'aprover'");
  });

  it('refuses an entry with an id but no platform, an exception with both fingerprint and rule, and expiry before grant', () => {
    const err = errorOf(() =>
      parseGovernance([
        {
          file: 'g.yaml',
          text: [
            'version: 1',
            'owners: [{ match: { id: "42" }, person: P }]',
            'exceptions:',
            '  - { fingerprint: abcdefabcdefabcd, rule: stale, match: { kind: x }, reason: r, approver: a, granted: 2026-01-01, expires: 2026-02-01 }',
            '  - { fingerprint: abcdefabcdefabcd, reason: r, approver: a, granted: 2026-03-01, expires: 2026-02-01 }',
          ].join('\n'),
        },
      ]),
    );
    expect(err.issues.map((i) => [i.line, i.message])).toEqual([
      [2, expect.stringContaining('give platform with id')],
      [4, expect.stringContaining('either fingerprint, or rule')],
      [5, 'expires is before granted'],
    ]);
  });

  it('says what is missing: a file, a folder without yaml, a file without version', () => {
    expect(errorOf(() => loadGovernance(join(dir, 'absent.yaml'))).message).toContain('not found');
    const empty = join(dir, 'empty');
    mkdirSync(empty);
    expect(errorOf(() => loadGovernance(empty)).message).toContain('no *.yaml');
    expect(errorOf(() => parseGovernance([{ file: 'g.yaml', text: 'owners: []' }])).key).toBe('version');
    expect(errorOf(() => parseGovernance([{ file: 'g.yaml', text: '- a list' }])).line).toBe(1);
  });

  it('fuzz: any text ends in a GovernanceFileError or a valid Governance, never another exception', () => {
    const fragments = fc.constantFrom(
      'version: 1',
      'version: 2',
      'owners:',
      'approvals:',
      'exceptions:',
      'retired:',
      'reviews:',
      '  - match: { platform: github, id: "1" }',
      '  - match: {}',
      '    person: P',
      '    approver: A',
      '    reason: R',
      '    granted: 2026-01-01',
      '    expires: 2026-02-30',
      '    date: 2026-01-01',
      '    name: N',
      '    decision: keep',
      '    reviewer: R',
      '    permissions: [a, { name: b, access: root }]',
      '    fingerprint: 0123456789abcdef',
      '    rule: stale',
      '&a [*a]',
      'key: *undefined',
      '{ [x]: y }',
      '"unterminated',
      '\t- tab',
      '',
    );
    const texts = fc.oneof(
      fc.string(),
      fc.array(fragments, { maxLength: 14 }).map((l) => l.join('\n')),
    );
    fc.assert(
      fc.property(fc.array(texts, { minLength: 1, maxLength: 3 }), (list) => {
        try {
          const g = parseGovernance(list.map((text, i) => ({ file: `g${i}.yaml`, text })));
          expect(g.files).toHaveLength(list.length);
          expect(g.hash).toMatch(/^[0-9a-f]{64}$/);
        } catch (err) {
          if (!(err instanceof GovernanceFileError)) throw err;
          expect(err.issues.length).toBeGreaterThan(0);
          expect(err.file).toMatch(/^g\d\.yaml$/);
        }
      }),
      { numRuns: 400 },
    );
  });
});
