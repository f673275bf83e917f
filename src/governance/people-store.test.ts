import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { at, coverage, identity } from '../../test/support/store-records.js';
import type { CoverageReport } from '../connector/coverage.js';
import { Person, type PersonInput, type ScanRecord } from '../model/index.js';
import { openSqliteStore } from '../store/sqlite/index.js';
import type { SnapshotStore } from '../store/store.js';
import { readPeopleDirectory } from './people.js';

let dir: string;
let store: SnapshotStore;
beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'gs-people-dir-'));
  store = await openSqliteStore(join(dir, 'grantscope.db'));
});
afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

const person = (over: Partial<PersonInput> & { nativeId: string }): Person =>
  Person.parse({
    type: 'person',
    platform: 'github',
    tenant: { id: 'acme', name: 'Acme' },
    status: 'active',
    listing: 'directory',
    collector: 'members',
    ...over,
  });

const google = (over: Partial<PersonInput> & { nativeId: string }) =>
  person({
    platform: 'google-workspace',
    tenant: { id: 'C01', name: 'acme.example' },
    collector: 'users',
    ...over,
  });

const entra = (over: Partial<PersonInput> & { nativeId: string }) =>
  person({
    platform: 'microsoft365',
    tenant: { id: 't1', name: null },
    collector: 'owners',
    listing: 'reference',
    ...over,
  });

function covered(
  status: { members?: 'complete' | 'failed'; users?: 'complete' | 'failed' } = {},
): CoverageReport[] {
  return [
    coverage({ 'app-installations': 'complete', members: status.members ?? 'complete' }),
    coverage(
      { users: status.users ?? 'complete' },
      { connector: 'google-workspace', platform: 'google-workspace', tenant: 'C01' },
    ),
    coverage({ owners: 'complete' }, { connector: 'microsoft365', platform: 'microsoft365', tenant: 't1' }),
  ];
}

async function scan(records: ScanRecord[], cov: CoverageReport[], day: number): Promise<number> {
  const w = await store.beginScan({ startedAt: at(day), toolVersion: 't' });
  await w.write(records);
  return (await w.complete(cov, at(day, 5), [])).id;
}

const everyone = [
  identity('1'),
  person({ nativeId: '101', name: 'alice' }),
  google({ nativeId: 'g1', name: 'ana@acme.example' }),
  google({ nativeId: 'g2', name: 'greta@acme.example', status: 'suspended' }),
  entra({ nativeId: 'e1', name: 'priya@acme.example' }),
  entra({ nativeId: 'e2', name: 'dan@acme.example', status: 'disabled' }),
];

const accounts = [
  { platform: 'github', id: 'Alice' },
  { platform: 'github', id: 'zoe' },
  { platform: 'google-workspace', id: 'ana@acme.example' },
  { platform: 'google-workspace', id: 'GRETA@acme.example' },
  { platform: 'google-workspace', id: 'gone@acme.example' },
  { platform: 'microsoft365', id: 'priya@acme.example' },
  { platform: 'microsoft365', id: 'e2' },
  { platform: 'microsoft365', id: 'nobody@acme.example' },
];

describe('readPeopleDirectory: has a registered owner left, by the platforms’ people', () => {
  it('reads statuses by user id or name; missing from a complete listing is gone; Entra’s partial one says nothing', async () => {
    const id = await scan(everyone, covered(), 1);
    const people = await readPeopleDirectory(store, id, accounts);
    const status = (platform: string, account: string) => people.status({ platform, id: account });
    expect(status('github', 'Alice')).toBe(true);
    expect(status('github', 'zoe')).toBe(false);
    expect(people.departure!({ platform: 'github', id: 'zoe' })).toBe(
      'zoe is not among the people of github (acme): deleted or no longer a member',
    );
    expect(status('google-workspace', 'ana@acme.example')).toBe(true);
    expect(status('google-workspace', 'GRETA@acme.example')).toBe(false);
    expect(people.departure!({ platform: 'google-workspace', id: 'GRETA@acme.example' })).toBe(
      'greta@acme.example is suspended in google-workspace (acme.example)',
    );
    expect(status('google-workspace', 'gone@acme.example')).toBe(false);
    expect(status('microsoft365', 'priya@acme.example')).toBe(true);
    expect(status('microsoft365', 'e2')).toBe(false);
    expect(people.departure!({ platform: 'microsoft365', id: 'e2' })).toBe(
      'dan@acme.example is disabled in microsoft365 (t1)',
    );
    expect(status('microsoft365', 'nobody@acme.example')).toBeNull();
  });

  it('a listing that did not complete leaves people it did not read unknown, never "left"', async () => {
    // First scan: the member list and the users list failed part-way (no previous scan to carry from).
    const id = await scan(
      [
        identity('1'),
        person({ nativeId: '101', name: 'alice' }),
        google({ nativeId: 'g1', name: 'ana@acme.example' }),
      ],
      covered({ members: 'failed', users: 'failed' }),
      1,
    );
    const people = await readPeopleDirectory(store, id, accounts);
    expect(people.status({ platform: 'github', id: 'alice' })).toBe(true);
    expect(people.status({ platform: 'github', id: 'zoe' })).toBeNull();
    expect(people.status({ platform: 'google-workspace', id: 'gone@acme.example' })).toBeNull();
    expect(people.departure!({ platform: 'github', id: 'zoe' })).toBeNull();
  });

  it('someone who leaves between scans is gone at the second and still here at the first', async () => {
    const first = await scan([...everyone, person({ nativeId: '109', name: 'zoe' })], covered(), 1);
    const second = await scan(everyone, covered(), 2);
    expect(
      (await readPeopleDirectory(store, first, accounts)).status({ platform: 'github', id: 'zoe' }),
    ).toBe(true);
    expect(
      (await readPeopleDirectory(store, second, accounts)).status({ platform: 'github', id: 'zoe' }),
    ).toBe(false);
  });
});
