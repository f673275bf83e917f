import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fakeJiraApiToken, type RunningJiraEmulator, startJiraEmulator } from '@grantscope/emulator';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { at, coverage } from '../../../../test/support/store-records.js';
import type { FindingDraft } from '../../../findings/finding.js';
import { openSqliteStore } from '../../../store/sqlite/open-sqlite-store.js';
import type { ScanSummary, SnapshotStore } from '../../../store/store.js';
import type { PlanSink } from '../../plan.js';
import { syncSink } from '../../sync.js';
import { createJiraSink, type JiraSink, keyLabel } from './index.js';

/** The ticket lifecycle (src/tickets/sync.ts) through the Jira sink, against the Jira emulator. */

const EMAIL = 'grantscope-bot@example.com';
const TOKEN = fakeJiraApiToken();
let jira: RunningJiraEmulator;
let dir: string;
let store: SnapshotStore;
let sink: JiraSink;
let day: number;
let project = 0;

beforeAll(async () => {
  jira = await startJiraEmulator({
    users: [{ email: EMAIL, apiToken: TOKEN, projects: ['P1', 'P2', 'P3', 'P4', 'P5', 'P6', 'P7', 'P8'] }],
    projects: ['P1', 'P2', 'P3', 'P4', 'P5', 'P6', 'P7', 'P8'].map((key) => ({ key })),
  });
});
afterAll(async () => {
  await jira?.close();
});
beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'gs-jira-lifecycle-'));
  store = await openSqliteStore(join(dir, 'grantscope.db'));
  project += 1;
  jira.restore();
  sink = createJiraSink(
    {
      name: 'jira-test',
      baseUrl: jira.origin,
      email: EMAIL,
      apiToken: TOKEN,
      project: `P${project}`,
      issueType: 'Task',
      labels: ['grantscope'],
      priorities: { critical: 'Highest', high: 'High' },
      transitions: { close: 'Done', reopen: 'To Do' },
    },
    { ca: jira.caCert, sleep: async () => {} },
  );
  day = 0;
});
afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

const SETTINGS: PlanSink = { name: 'jira-test', group: 'finding', minSeverity: 'medium' };

function draft(fingerprint: string, over: Partial<FindingDraft> = {}): FindingDraft {
  return {
    fingerprint,
    rule: 'over-privileged',
    severity: 'high',
    platform: 'github',
    tenant: 'acme',
    identity: { kind: 'github-app-installation', id: '1', name: 'Partner <img src=x onerror=alert(1)> App' },
    subject: null,
    title: `Partner App: problem ${fingerprint}`,
    evidence: { grants: ['administration:write'] },
    remediation: 'Reduce the permissions.',
    frameworks: { owaspNhi: ['NHI5'], nistCsf: ['PR.AA-05'], other: [] },
    ...over,
  };
}

async function scan(
  drafts: FindingDraft[],
  status: 'complete' | 'failed' = 'complete',
): Promise<ScanSummary> {
  day += 1;
  const w = await store.beginScan({ startedAt: at(day), toolVersion: 't' });
  const summary = await w.complete([coverage({ 'app-installations': status })], at(day, 1));
  await store.recordFindings(summary.id, [drafts], at(day, 2));
  return summary;
}

const sync = async (s: ScanSummary) =>
  syncSink({ store, sink, settings: SETTINGS, scan: s, dryRun: false, now: () => new Date(at(day, 3)) });
const issuesOf = (fingerprint: string) =>
  jira
    .issues()
    .filter((i) => !i.deleted && i.project === `P${project}` && i.labels.includes(keyLabel(fingerprint)));

describe('ticket lifecycle through the Jira sink', () => {
  it('open, no-op, update, resolve (not on a partial scan), reopen the same issue', async () => {
    const r1 = await sync(await scan([draft('a')]));
    expect(r1.error).toBeNull();
    const [issue] = issuesOf('a');
    expect(issue).toMatchObject({
      summary: 'Partner App: problem a',
      priority: 'High',
      status: { name: 'To Do' },
    });
    expect(JSON.stringify(issue!.description)).toContain('Partner <img src=x onerror=alert(1)> App');

    const before = jira.totalRequests();
    expect((await sync(await scan([draft('a')]))).plan.actions).toEqual([]);
    expect(jira.totalRequests() - before).toBe(1); // the state read only

    await sync(await scan([draft('a', { severity: 'critical' })]));
    expect(issue!.comments).toHaveLength(1);
    expect((await sync(await scan([], 'failed'))).plan.actions).toEqual([]);
    expect(issue!.status.name).toBe('To Do');

    await sync(await scan([]));
    expect(issue!.status.name).toBe('Done');
    expect(JSON.stringify(issue!.comments.at(-1)!.body)).toContain('Resolved');

    const back = await sync(await scan([draft('a')]));
    expect(back.plan.actions.map((a) => a.kind)).toEqual(['reopen']);
    expect(issuesOf('a').map((i) => [i.key, i.status.name])).toEqual([[issue!.key, 'To Do']]);
  });

  it('an excepted finding gets a comment naming approver and expiry, then its issue closes', async () => {
    await sync(await scan([draft('a')]));
    const exception = {
      status: 'active' as const,
      reason: 'vendor contract until renewal',
      approver: 'ciso@example.com',
      granted: '2026-01-01',
      expires: '2026-06-30',
      source: { file: 'governance.yaml', line: 12 },
    };
    await sync(await scan([draft('a', { excepted: true, exception })]));
    const [issue] = issuesOf('a');
    expect(issue!.status.name).toBe('Done');
    expect(JSON.stringify(issue!.comments.at(-1)!.body)).toMatch(
      /approved by ciso@example.com until 2026-06-30/,
    );
  });

  it('an issue closed by hand stays closed; one deleted by hand is not re-created while the finding stays open', async () => {
    await sync(await scan([draft('a'), draft('b')]));
    jira.transitionByHand(issuesOf('a')[0]!.key, 'Done');
    jira.deleteByHand(issuesOf('b')[0]!.key);
    for (let i = 0; i < 3; i++) await sync(await scan([draft('a'), draft('b', { severity: 'critical' })]));
    expect(issuesOf('a').map((i) => i.status.name)).toEqual(['Done']);
    expect(issuesOf('b')).toHaveLength(0);
  });

  it('Jira down fails the sync with the sink error and loses nothing; the next run catches up', async () => {
    jira.outage();
    const r = await sync(await scan([draft('a'), draft('b')]));
    expect(r.error).toMatchObject({ name: 'TicketSinkError', operation: 'open', status: 503 });
    expect(jira.issues().filter((i) => i.project === `P${project}`)).toHaveLength(0);
    jira.restore();
    const again = await sync(await scan([draft('a'), draft('b')]));
    expect(again.error).toBeNull();
    expect(issuesOf('a')).toHaveLength(1);
    expect(issuesOf('b')).toHaveLength(1);
  });
});
