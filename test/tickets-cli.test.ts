import { createHmac } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FindingDraft } from '../src/findings/finding.js';
import { openSqliteStore } from '../src/store/sqlite/open-sqlite-store.js';
import { runCli, tempDir } from './support/cli.js';
import { at, coverage } from './support/store-records.js';

/**
 * `grantscope tickets sync` as a user runs it: a store with two scans' findings, a webhook sink
 * configured in grantscope.yaml with its secret in an environment variable, a receiver that is down
 * for a while. The plan (--dry-run), the sync, the failure (exit 3, the sink named) and the catch-up.
 */
const SECRET = 'cli-hook-secret';

function draft(fingerprint: string, severity: FindingDraft['severity'] = 'high'): FindingDraft {
  return {
    fingerprint,
    rule: 'over-privileged',
    severity,
    platform: 'github',
    tenant: 'acme',
    identity: { kind: 'github-app-installation', id: fingerprint, name: `App ${fingerprint}` },
    subject: null,
    title: `App ${fingerprint} can administer every repository`,
    evidence: { grants: ['administration:write'] },
    remediation: 'Reduce the permissions.',
    frameworks: { owaspNhi: ['NHI5'], nistCsf: ['PR.AA-05'], other: [] },
  };
}

describe('grantscope tickets sync', () => {
  const dir = tempDir('gs-tickets-cli-');
  const db = join(dir, 'grantscope.db');
  const config = join(dir, 'grantscope.yaml');
  let server: Server;
  let status = 204;
  const events: { event: string; key: string; signed: boolean }[] = [];
  let day = 0;
  const scan = async (drafts: FindingDraft[]) => {
    const store = await openSqliteStore(db);
    try {
      day += 1;
      const w = await store.beginScan({ startedAt: at(day), toolVersion: 't' });
      const s = await w.complete([coverage({ 'app-installations': 'complete' })], at(day, 1));
      await store.recordFindings(s.id, [drafts], at(day, 2));
      return s.id;
    } finally {
      await store.close();
    }
  };
  const cli = (args: string[]) =>
    runCli(['tickets', 'sync', '-c', config, ...args], { cwd: dir, env: { HOOK_SECRET: SECRET } });

  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => {
        body += c;
      });
      req.on('end', () => {
        if (status < 300) {
          const parsed = JSON.parse(body) as { event: string; key: string };
          const signed =
            req.headers['x-grantscope-signature'] ===
            `sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}`;
          events.push({ event: parsed.event, key: parsed.key, signed });
        }
        res.writeHead(status).end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
    writeFileSync(
      config,
      `database: grantscope.db\ntickets:\n  sinks:\n    - name: siem\n      type: webhook\n      url: ${url}\n      secretEnv: HOOK_SECRET\n      maxRetries: 1\n      maxRetryWaitSeconds: 0.01\n`,
    );
  });
  afterAll(async () => {
    await new Promise((r) => server.close(r));
  });

  it('plans, syncs, fails naming the sink when it is down, and catches up', async () => {
    await scan([draft('a'), draft('b'), draft('c', 'low')]);
    const plan = await cli(['--dry-run', '--format', 'json']);
    expect(plan.stderr).toBe('');
    expect(plan.code).toBe(0);
    const [siem] = JSON.parse(plan.stdout);
    expect(
      siem.actions.map((a: { kind: string; key: string; status: string }) => [a.kind, a.key, a.status]),
    ).toEqual([
      ['open', 'a', 'planned'],
      ['open', 'b', 'planned'],
    ]);
    expect(events).toEqual([]);

    const first = await cli([]);
    expect(first.code).toBe(0);
    expect(first.stdout).toContain(
      'siem (scan 1): 2 to open, 0 to comment, 0 to close, 0 to reopen, 0 noticed, 0 unchanged; 2 done, 2 requests',
    );
    expect(events).toEqual([
      { event: 'opened', key: 'a', signed: true },
      { event: 'opened', key: 'b', signed: true },
    ]);

    const shown = JSON.parse((await cli(['--dry-run', '--format', 'json'])).stdout)[0];
    expect(shown.actions).toEqual([]);
    expect(shown.unchanged).toBe(2);

    await scan([draft('b', 'critical')]);
    status = 503;
    const down = await cli([]);
    expect(down.code).toBe(3);
    expect(down.stderr).toContain(
      'ticket sink "siem": close failed (HTTP 503): the receiver answered 503 (after 2 attempts)',
    );
    expect(`${down.stdout}${down.stderr}`).not.toContain(SECRET);

    status = 204;
    const again = await cli([]);
    expect(again.code).toBe(0);
    expect(events.slice(2)).toEqual([
      { event: 'resolved', key: 'a', signed: true },
      { event: 'updated', key: 'b', signed: true },
    ]);
    expect((await cli([])).stdout).toContain(
      '0 to open, 0 to comment, 0 to close, 0 to reopen, 0 noticed, 2 unchanged',
    );
  });

  it('lists the tickets it keeps', async () => {
    const r = await runCli(['tickets', 'list', '-c', config, '--format', 'json'], { cwd: dir });
    expect(r.code).toBe(0);
    const rows = JSON.parse(r.stdout) as { key: string; state: string; ticket: string }[];
    expect(rows.map((t) => [t.key, t.state, t.ticket])).toEqual([
      ['a', 'closed', 'siem:a'],
      ['b', 'open', 'siem:b'],
    ]);
    const open = await runCli(['tickets', 'list', '-c', config, '--state', 'open'], { cwd: dir });
    expect(open.stdout).toMatch(/^SINK\s+STATE\s+TICKET/);
    expect(open.stdout).toContain('siem:b');
    expect(open.stdout).not.toContain('siem:a');
  });

  it('refuses an unknown sink and a scan that is not the latest', async () => {
    const unknown = await cli(['--sink', 'nope']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("--sink: no sink named 'nope'; configured: siem");
    const old = await cli(['--scan', '1']);
    expect(old.code).toBe(2);
    expect(old.stderr).toMatch(/--scan 1: the store keeps the findings of the latest scan \(\d+\) only/);
  });
});
