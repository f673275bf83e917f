import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type RunningServiceNow, startServiceNowEmulator } from '../../../emulator/servicenow/table-api.js';
import { type TicketContent, TicketSinkError } from '../../sink.js';
import { correlationId, createServiceNowSink, servicenowSinkType } from './index.js';

const PASSWORD = 'pw-4f1c9e-never-logged';
const HOSTILE = '<img src=x onerror=alert(1)> [code]<b>bold</b>[/code]';

const content = (over: Partial<TicketContent> = {}): TicketContent => ({
  title: `Over-privileged: ${HOSTILE}`,
  body: {
    blocks: [
      { kind: 'heading', text: 'What' },
      { kind: 'paragraph', text: `GitHub App ${HOSTILE} holds administration: write` },
      { kind: 'facts', rows: [{ label: 'Owner', value: 'Alice Chen' }] },
      { kind: 'bullets', items: ['administration: write', 'secrets: write'] },
      {
        kind: 'link',
        text: 'Revoke here',
        url: 'https://github.com/organizations/acme/settings/installations/1',
      },
    ],
  },
  severity: 'critical',
  labels: ['grantscope', 'over-privileged'],
  key: '9f0c1d2e3a4b5c6d7e8f901234567890',
  fingerprints: ['9f0c1d2e3a4b5c6d7e8f901234567890'],
  ...over,
});
const note = (text: string) => ({ blocks: [{ kind: 'paragraph' as const, text }] });

describe('ServiceNow sink against the Table API emulator', () => {
  let sn: RunningServiceNow;
  let dir: string;
  const sink = async (
    over: Record<string, unknown> = {},
    deps: { retries?: number; env?: NodeJS.ProcessEnv } = {},
  ) =>
    createServiceNowSink(
      {
        type: 'servicenow',
        name: 'itsm',
        instance: sn.url,
        username: 'grantscope.integration',
        passwordFile: 'sn-password.txt',
        fields: { assignment_group: 'Identity Security', category: 'security' },
        ...over,
      },
      { configDir: dir, maxWaitSeconds: 2, ...deps },
    );

  beforeEach(async () => {
    sn = await startServiceNowEmulator({
      users: [
        { user: 'grantscope.integration', password: PASSWORD, roles: ['itil'] },
        { user: 'reader', password: PASSWORD, roles: [] },
      ],
    });
    dir = mkdtempSync(join(tmpdir(), 'gs-sn-'));
    writeFileSync(join(dir, 'sn-password.txt'), `${PASSWORD}\n`);
  });
  afterEach(async () => sn.close());

  it('opens an incident with the key as correlation id, impact/urgency from severity, data as text', async () => {
    const s = await sink();
    const ref = await s.open(content());
    const [rec] = sn.records();
    expect(rec!.fields).toMatchObject({
      sys_id: ref.id,
      state: '1',
      active: 'true',
      correlation_id: '9f0c1d2e3a4b5c6d7e8f901234567890',
      correlation_display: 'grantscope',
      impact: '1',
      urgency: '1',
      assignment_group: 'Identity Security',
      category: 'security',
    });
    expect(ref.url).toBe(`${sn.url}/nav_to.do?uri=incident.do?sys_id=${ref.id}`);
    expect(rec!.fields.short_description!.length).toBeLessThanOrEqual(160);
    const description = rec!.fields.description!;
    expect(description).toContain('<img src=x onerror=alert(1)>');
    // ServiceNow would render [code]…[/code] in a journal as HTML: the marker is broken up.
    expect(description).not.toMatch(/\[code\]/i);
    expect(description).toContain('Owner: Alice Chen');
    expect(description).toContain('- secrets: write');
    expect(description).toContain('Labels: grantscope, over-privileged');
    expect(JSON.stringify(sn.records())).not.toContain(PASSWORD);
  });

  it('comments, resolves with a resolution code and notes, reopens, and reads the state', async () => {
    const s = await sink({ severity: { critical: { impact: '2', urgency: '1' } } });
    const ref = await s.open(content());
    expect(sn.records()[0]!.fields).toMatchObject({ impact: '2', urgency: '1' });
    await s.comment(ref, note('Severity changed from high to critical'));
    expect(await s.state(ref)).toBe('open');
    await s.close(ref, note('Resolved: the grant is gone from the complete scan 12'));
    let rec = sn.records()[0]!;
    expect(rec.fields).toMatchObject({ state: '6', active: 'false', close_code: 'Solution provided' });
    expect(rec.fields.close_notes).toContain('the grant is gone');
    expect(await s.state(ref)).toBe('closed');
    await s.reopen(ref, note('The finding is back in scan 13'));
    rec = sn.records()[0]!;
    expect(rec.fields).toMatchObject({ state: '2', active: 'true' });
    expect(rec.journal.map((j) => [j.field, j.text])).toEqual([
      ['work_notes', 'Severity changed from high to critical'],
      ['work_notes', 'The finding is back in scan 13'],
    ]);
    expect(await s.find(content().key)).toEqual(ref);
    expect(await s.find('another-key')).toBeNull();
  });

  it('notices a record resolved or deleted by hand', async () => {
    const s = await sink();
    const a = await s.open(content());
    const b = await s.open(content({ key: 'github:acme|github-app-installation:2' }));
    sn.closeByHand(a.id);
    sn.deleteByHand(b.id);
    expect(await s.state(a)).toBe('closed');
    expect(await s.state(b)).toBe('missing');
  });

  it('refuses to resolve without a resolution code, as the incident data policy does, naming the sink', async () => {
    const s = await sink({ closeCode: '' });
    const ref = await s.open(content());
    const err = await s.close(ref, note('gone')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TicketSinkError);
    expect(err).toMatchObject({ sink: 'itsm', operation: 'close', status: 403 });
    expect((err as Error).message).toContain('Data Policy Exception');
    expect(sn.records()[0]!.fields.state).toBe('1');
  });

  it('bad credentials and missing roles fail with the instance’s reason, never the password', async () => {
    writeFileSync(join(dir, 'wrong.txt'), 'nope');
    const wrong = await sink({ passwordFile: 'wrong.txt' });
    const err = await wrong.open(content()).catch((e: unknown) => e);
    expect(err).toMatchObject({ operation: 'open', status: 401 });
    expect((err as Error).message).toContain('User Not Authenticated');
    const reader = await sink({ username: 'reader' });
    const denied = await reader.open(content()).catch((e: unknown) => e);
    expect(denied).toMatchObject({ status: 403 });
    expect((denied as Error).message).toContain('ACL Exception Insert Failed');
    expect(`${(err as Error).message}${(denied as Error).message}`).not.toContain(PASSWORD);
  });

  it('reads the password from an environment variable, and says which one is missing', async () => {
    const s = await sink(
      { passwordFile: undefined, passwordEnv: 'SN_PASSWORD' },
      { env: { SN_PASSWORD: PASSWORD } },
    );
    await s.open(content());
    expect(sn.records()).toHaveLength(1);
    await expect(sink({ passwordFile: undefined, passwordEnv: 'SN_MISSING' }, { env: {} })).rejects.toThrow(
      /SN_MISSING \(passwordEnv\) is not set/,
    );
    await expect(sink({ passwordEnv: 'SN_PASSWORD' })).rejects.toThrow(/one of passwordFile or passwordEnv/);
  });

  it('waits out a 429 (Retry-After) and an outage, and fails clearly when the outage lasts', async () => {
    await sn.close();
    sn = await startServiceNowEmulator({
      users: [{ user: 'grantscope.integration', password: PASSWORD, roles: ['itil'] }],
      rateLimit: { requests: 1, windowMs: 1000 },
    });
    const s = await sink();
    const ref = await s.open(content());
    await s.comment(ref, note('after the limit'));
    expect(sn.requests.map((r) => r.method)).toEqual(['POST', 'PATCH', 'PATCH']);
    expect(sn.records()[0]!.journal).toHaveLength(1);

    const quick = await sink({}, { retries: 1 });
    sn.setOutage(true);
    const err = await quick.state(ref).catch((e: unknown) => e);
    expect(err).toMatchObject({ sink: 'itsm', operation: 'state', status: 503 });
    sn.setOutage(false);
    expect(await quick.state(ref)).toBe('open');
  });

  it('plugs into the sink registry: shared keys accepted, built lazily, a missing secret named on first use', async () => {
    const settings = servicenowSinkType.settings.parse({
      type: 'servicenow',
      name: 'itsm',
      group: 'identity',
      minSeverity: 'high',
      instance: sn.url,
      username: 'grantscope.integration',
      passwordFile: 'sn-password.txt',
    });
    expect(settings).toMatchObject({ group: 'identity', minSeverity: 'high', table: 'incident' });
    const s = servicenowSinkType.create(settings, { configDir: dir, caFile: null });
    expect(s).toMatchObject({ name: 'itsm', kind: 'servicenow', canReadState: true });
    const ref = await s.open(content());
    expect(await s.state(ref)).toBe('open');
    const broken = servicenowSinkType.create(
      { ...settings, passwordFile: 'missing.txt' },
      { configDir: dir, caFile: null },
    );
    await expect(broken.open(content())).rejects.toThrow(/itsm.*cannot read passwordFile .*missing\.txt/);
  });

  it('keys that do not fit a correlation id are digested, the same way every time', () => {
    expect(correlationId('abc:1')).toBe('abc:1');
    const long = correlationId(`owner:${'x'.repeat(200)}`);
    expect(long).toMatch(/^gs-[0-9a-f]{40}$/);
    expect(correlationId(`owner:${'x'.repeat(200)}`)).toBe(long);
    expect(correlationId('a^b')).toMatch(/^gs-/);
  });
});
