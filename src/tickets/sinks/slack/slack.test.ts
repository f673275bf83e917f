import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type RunningSlackWebhook, startSlackWebhookEmulator } from '@grantscope/emulator';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { at, coverage } from '../../../../test/support/store-records.js';
import type { FindingDraft } from '../../../findings/finding.js';
import { openSqliteStore } from '../../../store/sqlite/open-sqlite-store.js';
import type { ScanSummary, SnapshotStore } from '../../../store/store.js';
import type { PlanSink } from '../../plan.js';
import type { SyncDigest } from '../../sink.js';
import { syncSink } from '../../sync.js';
import { SlackSettings } from './config.js';
import { SlackDigestSink, slackSinkType } from './index.js';
import { digestMessage, SLACK_LIMITS } from './message.js';
import { escapeMrkdwn } from './mrkdwn.js';

const HOSTILE =
  'Partner <@U024BE7LH> <!here> <https://evil.example|click> https://evil.example/x &amp; evil.example.com';

let slack: RunningSlackWebhook;
let dir: string;
let store: SnapshotStore;
let hook: string;
let day: number;

beforeEach(async () => {
  slack = await startSlackWebhookEmulator({ burst: 100 });
  hook = slack.createHook();
  dir = mkdtempSync(join(tmpdir(), 'gs-slack-'));
  store = await openSqliteStore(join(dir, 'grantscope.db'));
  day = 0;
});
afterEach(async () => {
  await store.close();
  await slack.close();
  rmSync(dir, { recursive: true, force: true });
});

const settings = (over: Partial<SlackSettings> = {}): SlackSettings =>
  SlackSettings.parse({ name: 'sec-channel', type: 'slack', webhookUrlEnv: 'SLACK_URL', ...over });
const PLAN: PlanSink = { name: 'sec-channel', group: 'finding', minSeverity: 'medium' };
const sinkFor = (url = hook, over: Partial<SlackSettings> = {}) =>
  new SlackDigestSink(settings(over), url, { backoffMs: 1 });

function draft(fingerprint: string, over: Partial<FindingDraft> = {}): FindingDraft {
  return {
    fingerprint,
    rule: 'over-privileged',
    severity: 'high',
    platform: 'github',
    tenant: 'acme',
    identity: { kind: 'github-app-installation', id: '1', name: HOSTILE },
    subject: null,
    title: `${HOSTILE}: problem ${fingerprint}`,
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

const sync = async (s: ScanSummary, sink = sinkFor(), dryRun = false) =>
  syncSink({ store, sink, settings: PLAN, scan: s, dryRun, now: () => new Date(at(day, 3)) });
const counts = (d: SyncDigest | undefined) =>
  d && {
    opened: d.opened.length,
    reopened: d.reopened.length,
    changed: d.changed.length,
    resolved: d.resolved.length,
    excepted: d.excepted.length,
    open: d.open,
  };
const lastText = () => JSON.stringify(slack.messages.at(-1)!.body);

describe('Slack digest sink: the lifecycle against the incoming-webhook emulator', () => {
  it('new, no-op, changed, resolved (not on a partial scan), back again, each reported once', async () => {
    const r1 = await sync(await scan([draft('a'), draft('b', { severity: 'critical' })]));
    expect(r1.error).toBeNull();
    expect(counts(r1.digest)).toEqual({
      opened: 2,
      reopened: 0,
      changed: 0,
      resolved: 0,
      excepted: 0,
      open: 2,
    });
    expect(slack.messages).toHaveLength(1);
    const first = slack.messages[0]!.body as { text: string; blocks: { type: string }[] };
    expect(first.text).toBe('grantscope scan #1: 2 new; 2 findings open');
    // The most severe first.
    expect(lastText().indexOf('CRITICAL')).toBeLessThan(lastText().indexOf('`HIGH`'));

    // Nothing changed: no message at all.
    const r2 = await sync(await scan([draft('a'), draft('b', { severity: 'critical' })]));
    expect(r2.plan.actions).toEqual([]);
    expect(slack.messages).toHaveLength(1);

    const r3 = await sync(
      await scan([draft('a', { severity: 'critical' }), draft('b', { severity: 'critical' })]),
    );
    expect(counts(r3.digest)).toMatchObject({ changed: 1, opened: 0, open: 2 });
    expect(lastText()).toContain('(was high)');

    // A scan that could not read the collector resolves nothing.
    const r4 = await sync(await scan([], 'failed'));
    expect(r4.plan.actions).toEqual([]);
    expect(slack.messages).toHaveLength(2);

    const r5 = await sync(await scan([draft('b', { severity: 'critical' })]));
    expect(counts(r5.digest)).toMatchObject({ resolved: 1, opened: 0, open: 1 });
    expect(lastText()).toContain('Resolved (1)');

    const r6 = await sync(await scan([draft('a'), draft('b', { severity: 'critical' })]));
    expect(counts(r6.digest)).toMatchObject({ reopened: 1, opened: 0, open: 2 });
    expect(lastText()).toContain('Back again (1)');
    expect(slack.messages).toHaveLength(4);
  });

  it('an excepted finding is reported as accepted, with its own section', async () => {
    await sync(await scan([draft('a')]));
    const exception = {
      status: 'active' as const,
      reason: 'vendor contract',
      approver: 'ciso@example.com',
      granted: '2026-01-01',
      expires: '2026-06-30',
      source: { file: 'governance.yaml', line: 12 },
    };
    const r = await sync(await scan([draft('a', { excepted: true, exception })]));
    expect(counts(r.digest)).toMatchObject({ excepted: 1, resolved: 0, open: 0 });
    expect(lastText()).toContain('Accepted by exception (1)');
  });

  it('Slack down or the channel archived fails the sync and loses nothing; the next run reports it all', async () => {
    slack.setOutage(true);
    const down = await sync(await scan([draft('a'), draft('b')]));
    expect(down.error).toMatchObject({ name: 'TicketSinkError', operation: 'send', status: 500 });
    expect(down.error!.message).toContain('rollup_error');
    // The client retried the 5xx (maxRetries 4): five requests.
    expect(slack.requests.filter((r) => r.status === 500)).toHaveLength(5);
    slack.setOutage(false);
    slack.archiveChannel(hook);
    const archived = await sync(await scan([draft('a'), draft('b')]));
    expect(archived.error).toMatchObject({ status: 410 });
    expect(archived.error!.message).toBe(
      'ticket sink "sec-channel": send failed (HTTP 410): Slack answered 410: channel_is_archived',
    );
    expect(slack.messages).toHaveLength(0);

    const moved = slack.createHook();
    const ok = await sync(await scan([draft('a'), draft('b')]), sinkFor(moved));
    expect(ok.error).toBeNull();
    expect(counts(ok.digest)).toMatchObject({ opened: 2 });
    expect(slack.messages).toHaveLength(1);
    // Saved: the next sync has nothing to say.
    await sync(await scan([draft('a'), draft('b')]), sinkFor(moved));
    expect(slack.messages).toHaveLength(1);
  });

  it('waits out a 429 for as long as Retry-After asks, then posts', async () => {
    await slack.close();
    slack = await startSlackWebhookEmulator({ burst: 1, perSecond: 1 });
    hook = slack.createHook();
    const s = sinkFor(hook);
    await sync(await scan([draft('a')]), s);
    const r = await sync(await scan([draft('a'), draft('b')]), s);
    expect(r.error).toBeNull();
    expect(slack.requests.map((q) => q.status)).toEqual([200, 429, 200]);
    expect(r.calls).toBe(2);
  });

  it('a dry run plans the digest and posts nothing', async () => {
    const r = await sync(await scan([draft('a')]), sinkFor(), true);
    expect(counts(r.digest)).toMatchObject({ opened: 1 });
    expect(slack.requests).toHaveLength(0);
    expect(await store.readTickets('sec-channel')).toEqual([]);
  });

  it('third-party text can neither mention nor link, and the URL (the credential) is in no error', async () => {
    await sync(await scan([draft('a')]));
    const body = slack.messages[0]!.body as { link_names: unknown };
    expect(body.link_names).toBe(false);
    const sent = lastText();
    expect(sent).not.toMatch(/<[@!#]|<https?:|https?:\/\/|evil\.example/);
    expect(sent).toContain('&lt;@U024BE7LH&gt;');
    expect(sent).toContain('hxxps[:]//evil[.]example/x');
    expect(sent).toContain('&amp;amp;');

    slack.removeHook(hook);
    const gone = await sync(await scan([draft('a'), draft('b')]));
    expect(gone.error).toMatchObject({ status: 404 });
    expect(gone.error!.message).toContain('no_service');
    expect(gone.error!.message).not.toContain(new URL(hook).pathname.split('/').at(-1));
  });
});

describe('Slack digest message', () => {
  const entry = (i: number) => ({
    fingerprint: `f${i}`,
    title: `App ${i} ${'x'.repeat(200)}`,
    severity: 'high' as const,
  });
  const digest = (n: number): SyncDigest => ({
    sink: 's',
    scanId: 7,
    opened: Array.from({ length: n }, (_, i) => entry(i)),
    reopened: [],
    changed: [],
    resolved: Array.from({ length: n }, (_, i) => entry(i + n)),
    excepted: [],
    open: n,
  });

  it('stays within Block Kit limits however large the digest, and counts what it does not list', async () => {
    const m = digestMessage(digest(500), { maxItems: 100 });
    expect(m.blocks.length).toBeLessThanOrEqual(SLACK_LIMITS.blocks);
    for (const b of m.blocks) {
      if (b.type === 'section') expect(b.text.text.length).toBeLessThanOrEqual(SLACK_LIMITS.sectionText);
    }
    expect(JSON.stringify(m)).toContain('…and 400 more');
    // The emulator, strict on the same limits, accepts it.
    await sinkFor().send(digest(500));
    expect(slack.requests.map((r) => r.status)).toEqual([200]);
  });

  it('escapes the three characters Slack reserves', () => {
    expect(escapeMrkdwn('a & b <c> d')).toBe('a &amp; b &lt;c&gt; d');
    expect(escapeMrkdwn('v1.0 of bob@corp.example via http://x.test')).toBe(
      'v1.0 of bob@corp[.]example via hxxp[:]//x[.]test',
    );
  });

  it('the registry builds it from grantscope.yaml settings, with the URL read from the environment', () => {
    const made = slackSinkType.create(settings(), { configDir: dir, caFile: null, env: { SLACK_URL: hook } });
    expect(made.delivery).toBe('digest');
    expect(() => slackSinkType.create(settings(), { configDir: dir, caFile: null, env: {} })).toThrow(
      /webhookUrlEnv: environment variable SLACK_URL is not set/,
    );
    writeFileSync(join(dir, 'url.txt'), 'not a url\n');
    expect(() =>
      slackSinkType.create(settings({ webhookUrlEnv: undefined, webhookUrlFile: 'url.txt' }), {
        configDir: dir,
        caFile: null,
      }),
    ).toThrow(/not an http\(s\) URL/);
    expect(() =>
      SlackSettings.parse({ name: 'x', type: 'slack', webhookUrl: 'https://hooks.slack.com/x' }),
    ).toThrow(/never written inline/);
  });
});
