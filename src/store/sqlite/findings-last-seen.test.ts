import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { at, coverage } from '../../../test/support/store-records.js';
import type { CoverageReport } from '../../connector/coverage.js';
import type { Finding, FindingDraft } from '../../findings/finding.js';
import type { SnapshotStore } from '../store.js';
import { APPLICATION_ID, MIGRATIONS } from './migrations/index.js';
import { openSqliteStore } from './open-sqlite-store.js';

let dir: string;
let file: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'gs-findings-last-seen-'));
  file = join(dir, 'grantscope.db');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const GITHUB = [coverage({ 'app-installations': 'complete' })];
const M365 = [
  coverage({ 'service-principals': 'complete' }, { platform: 'microsoft365', tenant: 'contoso' }),
];

async function scan(store: SnapshotStore, day: number, cov: CoverageReport[] = GITHUB): Promise<number> {
  const w = await store.beginScan({ startedAt: at(day), toolVersion: 't' });
  return (await w.complete(cov, at(day, 1))).id;
}

function draft(fingerprint: string, over: Partial<FindingDraft> = {}): FindingDraft {
  return {
    fingerprint,
    rule: 'over-privileged',
    severity: 'high',
    platform: 'github',
    tenant: 'acme',
    identity: { kind: 'github-app-installation', id: '1', name: 'App 1' },
    subject: null,
    title: `finding ${fingerprint}`,
    evidence: { grants: ['administration:write'] },
    remediation: 'Reduce the permissions.',
    frameworks: { owaspNhi: ['NHI5'], nistCsf: [], other: [] },
    ...over,
  };
}

async function read(store: SnapshotStore, scanId: number): Promise<Finding[]> {
  const out: Finding[] = [];
  for await (const f of store.readFindings(scanId)) out.push(f);
  return out;
}

const SEEN =
  'SELECT fingerprint, first_seen_scan, last_seen_scan, last_seen_at, resolved_scan FROM findings ORDER BY 1';

describe('findings last seen per source (schema 7)', () => {
  it('re-records unchanged open findings without writing a row, however high the scan id', async () => {
    const store = await openSqliteStore(file);
    const s1 = await scan(store, 1);
    const drafts = Array.from({ length: 50 }, (_, i) => draft(`f${String(i).padStart(3, '0')}`));
    await store.recordFindings(s1, [drafts], at(1, 2));
    const raw = new Database(file);
    raw.exec(`CREATE TABLE writes (fingerprint TEXT);
      CREATE TRIGGER count_updates AFTER UPDATE ON stored_findings
      BEGIN INSERT INTO writes VALUES (new.fingerprint); END;`);
    // Past the scan ids where a stored integer needs another byte (127 → 128).
    raw.exec(`INSERT INTO scans (id, started_at, status, tool_version, failure)
      VALUES (126, '${at(1, 3)}', 'failed', 't', 'made up to move the scan ids on')`);
    let last = s1;
    for (let day = 2; day <= 4; day++) {
      last = await scan(store, day);
      const summary = await store.recordFindings(last, [drafts], at(day, 2));
      expect(summary).toEqual({ total: 50, added: 0, changed: 0, unchanged: 50, resolved: 0 });
    }
    expect(last).toBeGreaterThan(128);
    expect(raw.prepare('SELECT count(*) FROM writes').pluck().get()).toBe(0);
    // The documented view still says every finding was last seen by the newest scan.
    expect(raw.prepare('SELECT DISTINCT last_seen_scan, last_seen_at FROM findings').all()).toEqual([
      { last_seen_scan: last, last_seen_at: at(4, 2) },
    ]);
    expect((await read(store, last)).map((f) => [f.fingerprint, f.firstSeen, f.lastSeen])).toEqual(
      drafts.map((d) => [d.fingerprint, at(1, 2), at(4, 2)]),
    );
    expect(await read(store, s1)).toEqual([]);
    raw.close();
    await store.close();
  });

  it('keeps its own last seen for a finding a recording of another source did not resolve', async () => {
    const store = await openSqliteStore(file);
    const s1 = await scan(store, 1, [...GITHUB, ...M365]);
    const m = draft('m', { platform: 'microsoft365', tenant: 'contoso' });
    await store.recordFindings(s1, [[draft('g'), draft('h'), m]], at(1, 2));
    // A github-only scan whose rules still produced the Entra finding 'm' (its source not scanned):
    // 'h' is resolved, 'g' and 'm' seen at s2.
    const s2 = await scan(store, 2);
    await store.recordFindings(s2, [[draft('g'), m]], at(2, 2));
    // An Entra-only scan that does not see 'm' any more resolves it; 'g' keeps s2 as its last seen.
    const s3 = await scan(store, 3, M365);
    expect(await store.recordFindings(s3, [], at(3, 2))).toMatchObject({ resolved: 1 });
    const raw = new Database(file, { readonly: true });
    expect(raw.prepare(SEEN).all()).toEqual([
      {
        fingerprint: 'g',
        first_seen_scan: s1,
        last_seen_scan: s2,
        last_seen_at: at(2, 2),
        resolved_scan: null,
      },
      {
        fingerprint: 'h',
        first_seen_scan: s1,
        last_seen_scan: s1,
        last_seen_at: at(1, 2),
        resolved_scan: s2,
      },
      {
        fingerprint: 'm',
        first_seen_scan: s1,
        last_seen_scan: s2,
        last_seen_at: at(2, 2),
        resolved_scan: s3,
      },
    ]);
    // 'h' comes back: reopened, first seen kept, last seen the newest recording again.
    const s4 = await scan(store, 4);
    await store.recordFindings(s4, [[draft('g'), draft('h')]], at(4, 2));
    expect(raw.prepare(SEEN).all()).toEqual([
      {
        fingerprint: 'g',
        first_seen_scan: s1,
        last_seen_scan: s4,
        last_seen_at: at(4, 2),
        resolved_scan: null,
      },
      {
        fingerprint: 'h',
        first_seen_scan: s1,
        last_seen_scan: s4,
        last_seen_at: at(4, 2),
        resolved_scan: null,
      },
      {
        fingerprint: 'm',
        first_seen_scan: s1,
        last_seen_scan: s2,
        last_seen_at: at(2, 2),
        resolved_scan: s3,
      },
    ]);
    expect(
      raw
        .prepare('SELECT fingerprint FROM stored_findings WHERE last_seen_scan IS NULL ORDER BY 1')
        .pluck()
        .all(),
    ).toEqual(['g', 'h']);
    raw.close();
    await store.close();
  });

  it('lets an unchanged duplicate in a later batch replace a changed one staged earlier', async () => {
    const store = await openSqliteStore(file);
    const s1 = await scan(store, 1);
    await store.recordFindings(s1, [[draft('a'), draft('b')]], at(1, 2));
    const s2 = await scan(store, 2);
    const summary = await store.recordFindings(
      s2,
      [[draft('a', { title: 'changed' }), draft('b')], [draft('a')], [draft('b', { title: 'later' })]],
      at(2, 2),
    );
    expect(summary).toEqual({ total: 2, added: 0, changed: 1, unchanged: 1, resolved: 0 });
    expect((await read(store, s2)).map((f) => [f.fingerprint, f.title])).toEqual([
      ['a', 'finding a'],
      ['b', 'later'],
    ]);
    await store.close();
  });

  it('migrates findings stored at schema 4 to the same documented rows', async () => {
    const raw = new Database(file);
    raw.pragma('journal_mode = WAL');
    for (const m of MIGRATIONS.filter((x) => x.version <= 4)) {
      raw.exec(m.sql);
      raw.prepare('INSERT INTO schema_migrations VALUES (?, ?, ?)').run(m.version, m.name, at(0));
    }
    raw.pragma(`application_id = ${APPLICATION_ID}`);
    raw.pragma('user_version = 4');
    const addScan = raw.prepare(
      "INSERT INTO scans (id, started_at, finished_at, status, tool_version, identities) VALUES (?, ?, ?, 'complete', 'old', 0)",
    );
    for (const id of [1, 2, 3]) addScan.run(id, at(id), at(id, 1));
    const addFinding = raw.prepare(`INSERT INTO findings (fingerprint, rule, severity, platform, tenant,
      identity_kind, identity_id, title, evidence, remediation, frameworks, first_seen_scan, first_seen_at,
      last_seen_scan, last_seen_at, resolved_scan, resolved_at, governance)
      VALUES (?, 'r', 'high', ?, 't', 'k', 'i', 'title', '{}', 'fix', '{}', 1, ?, ?, ?, ?, ?, ?)`);
    addFinding.run('open-current', 'github', at(1), 3, at(3), null, null, '{"owner":"x"}');
    addFinding.run('open-behind', 'github', at(1), 2, at(2), null, null, null);
    addFinding.run('resolved', 'github', at(1), 1, at(1), 2, at(2), null);
    addFinding.run('other-source', 'google-workspace', at(1), 2, at(2), null, null, null);
    const before = raw.prepare('SELECT * FROM findings ORDER BY fingerprint').all();
    const openBefore = raw.prepare('SELECT * FROM open_findings ORDER BY fingerprint').all();
    raw.close();

    const store = await openSqliteStore(file);
    await store.close();
    const check = new Database(file, { readonly: true });
    expect(check.prepare('SELECT * FROM findings ORDER BY fingerprint').all()).toEqual(before);
    expect(check.prepare('SELECT * FROM open_findings ORDER BY fingerprint').all()).toEqual(openBefore);
    expect(
      check
        .prepare('SELECT fingerprint FROM stored_findings WHERE last_seen_scan IS NULL ORDER BY 1')
        .pluck()
        .all(),
    ).toEqual(['open-current', 'other-source']);
    check.close();
  });
});
