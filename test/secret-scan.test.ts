import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeClientConfig } from '../src/demo/client-config.js';
import { type RunningEmulator, startEmulator } from '../src/emulator/server.js';
import { demoWorld } from '../src/package-root.js';
import { runCli, tempDir } from './support/cli.js';

/**
 * Secrets never land. Known secrets are planted where a scanner meets them: its own credentials (the
 * GitHub App key, the Entra client secret, the Google service-account key), what the APIs hand out
 * (installation and access tokens, a PAT's last eight characters, client-secret hints) and API error
 * bodies that quote credentials back. Then the database, debug logs in both formats, every output
 * format of every command, and the error messages are searched for each of them.
 */
const PLANTED = {
  clientSecret: 'PLANTEDclientsecret7Q~abcdefghijklmnopqrstuvwxyz012',
  accessToken: 'PLANTEDaccesstoken-0123456789abcdef',
  bearer: 'eyJhbGciOiJSUzI1NiJ9.eyJQTEFOVEVEIjoiYmVhcmVyIn0.UExBTlRFRHNpZ25hdHVyZQ',
  ghs: 'ghs_PLANTEDinstallationToken0123456789ab',
  ya29: 'ya29.PLANTEDgoogleAccessToken_0123456789',
  pem: '-----BEGIN PRIVATE KEY-----\nMIIEvPLANTEDkeymaterial0123456789\n-----END PRIVATE KEY-----',
};

const errorBody = (platform: string) => ({
  message: `${platform} refused: client_secret=${PLANTED.clientSecret} token ${PLANTED.ghs} ${PLANTED.ya29}`,
  error: {
    code: 'Authorization_RequestDenied',
    message: `Bearer ${PLANTED.bearer} "access_token": "${PLANTED.accessToken}" ${PLANTED.pem}`,
  },
});

/** Every secret-shaped string that must never appear, with what it is. */
function forbidden(dir: string): Array<[string, RegExp | string]> {
  const list: Array<[string, RegExp | string]> = [
    ['planted client secret', 'PLANTEDclientsecret'],
    ['planted access token', 'PLANTEDaccesstoken'],
    ['planted bearer JWT', 'eyJQTEFOVEVEIjoiYmVhcmVyIn0'],
    ['planted installation token', 'ghs_PLANTED'],
    ['planted Google token', 'ya29.PLANTED'],
    ['planted key material', 'MIIEvPLANTED'],
    ['any GitHub token', /gh[pousr]_[A-Za-z0-9]{20,}/],
    ['any JWT', /eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\./],
    ['any PEM private key', /BEGIN [A-Z ]*PRIVATE KEY/],
    ['a PAT last eight', '3f9a7c21'],
    ['a client-secret hint', /"hint"\s*:\s*"(?!\[redacted\])[^"]+"/],
    ['a token_last_eight value', /"token_last_eight"\s*:\s*"(?!\[redacted\])[^"]+"/],
  ];
  // The scanner's own credentials, as written next to the config.
  for (const name of readdirSync(dir)) {
    const text = readFileSync(join(dir, name), 'utf8');
    if (name.endsWith('client-secret.txt')) list.push([`${name}`, text.trim()]);
    if (name.endsWith('.pem') && text.includes('PRIVATE KEY'))
      list.push([`${name} key body`, text.split('\n')[2]!.slice(0, 40)]);
    if (name.endsWith('-sa.json')) {
      const key = JSON.parse(text).private_key as string;
      list.push([`${name} private key`, key.split('\n')[2]!.slice(0, 40)]);
    }
  }
  return list;
}

function assertClean(where: string, text: string, secrets: Array<[string, RegExp | string]>) {
  for (const [what, pattern] of secrets) {
    const found = typeof pattern === 'string' ? text.includes(pattern) : pattern.test(text);
    expect(found, `${what} found in ${where}`).toBe(false);
  }
}

describe('secrets never land', () => {
  let emu: RunningEmulator;
  let dir: string;
  let config: string;
  let database: string;
  let secrets: Array<[string, RegExp | string]>;
  const outputs: Array<[string, string]> = [];
  let faultedScanJson = '';

  beforeAll(async () => {
    emu = await startEmulator({ world: demoWorld('demo') });
    dir = tempDir('gs-secrets-');
    ({ configFile: config, database } = writeClientConfig(emu, dir));
    secrets = forbidden(dir);
    const scan = (format: string, log: string[]) =>
      runCli(['scan', '-c', config, '--format', format, '-v', ...log], { cwd: dir });
    const first = await scan('json', ['--log-format', 'json']);
    expect(first.code, first.stderr).toBe(0);
    outputs.push(['scan json (debug json logs)', first.stdout + first.stderr]);
    // One collector per platform now fails with an error body quoting credentials back.
    emu.faults.add({
      path: '/api/v3/orgs/{org}/hooks',
      action: { kind: 'status', status: 403, body: errorBody('github') },
    });
    emu.faults.add({
      path: '/v1.0/oauth2PermissionGrants',
      action: { kind: 'status', status: 403, body: errorBody('graph') },
    });
    emu.faults.add({
      path: '/admin/directory/v1/users/{userKey}/tokens',
      action: { kind: 'status', status: 403, body: errorBody('google') },
    });
    for (const [format, log] of [
      ['table', ['--log-format', 'text']],
      ['json', ['--log-format', 'json']],
      ['csv', ['--log-format', 'text']],
      ['md', ['--log-format', 'json']],
    ] as const) {
      // --full: the faults sit on full reads (tokens.list per user) that a rescan of the unchanged
      // domain would skip (no token events since the first scan).
      const r = await scan(format, [...log, '--full']);
      expect(r.code, r.stderr).toBe(3);
      if (format === 'json') faultedScanJson = r.stdout;
      outputs.push([`scan ${format} (debug ${log[1]} logs)`, r.stdout + r.stderr]);
    }
    for (const command of ['inventory', 'findings', 'diff']) {
      const formats = [
        'table',
        'json',
        'csv',
        'md',
        ...(command === 'findings' ? ['jsonl', 'sarif', 'ocsf'] : []),
      ];
      for (const format of formats) {
        const extra = command === 'inventory' && format === 'json' ? ['--raw'] : [];
        const r = await runCli([command, '-c', config, '--format', format, '-v', ...extra], { cwd: dir });
        expect(r.code, r.stderr).toBe(0);
        outputs.push([`${command} ${format}`, r.stdout + r.stderr]);
      }
    }
  }, 180_000); // 20 CLI runs: generous, for a loaded machine
  afterAll(() => emu?.stop());

  it('the planted error bodies were really served and recorded as failures', () => {
    const out = JSON.parse(faultedScanJson);
    const failed = out.coverage.flatMap((c: { collectors: { status: string; reason: string }[] }) =>
      c.collectors.filter((x) => x.status === 'failed'),
    );
    expect(failed.length).toBeGreaterThanOrEqual(3);
    const reasons = failed.map((f: { reason: string }) => f.reason).join('\n');
    expect(reasons).toContain('[redacted]');
    expect(reasons).toMatch(/refused/);
  });

  it('no secret in any output, log line or error message', () => {
    expect(outputs.length).toBe(20);
    for (const [where, text] of outputs) assertClean(where, text, secrets);
  });

  it('no secret in the response journals and validator caches beside the database', () => {
    const root = `${database}.journal`;
    const files = readdirSync(root, { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile())
      .map((e) => join(e.parentPath, e.name));
    // The faulted scans ended incomplete and kept their journals; the complete one left validators.
    expect(files.filter((f) => f.endsWith('.ndjson') && !f.includes('validators')).length).toBeGreaterThan(0);
    expect(files.some((f) => f.includes('validators') && readFileSync(f, 'utf8').length > 0)).toBe(true);
    for (const file of files) assertClean(file, readFileSync(file, 'utf8'), secrets);
  });

  it('no secret in the database file or its WAL', () => {
    for (const file of [database, `${database}-wal`]) {
      if (!existsSync(file)) continue;
      assertClean(file, readFileSync(file).toString('latin1'), secrets);
    }
  });
});
