import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { type FakeTenant, runCli, tempDir, writeFakeSetup } from './support/cli.js';
import { ocsfDetectionFindingValidator, sarifValidator } from './support/format-schemas.js';

/**
 * Names, descriptions and permission names come from whoever registered an app. Every output must
 * neutralise what they can carry: HTML and script, CSV formulas, Markdown and Jira markup, ANSI escape
 * sequences, bidi overrides, 100 KB strings and invalid Unicode.
 */
const HOSTILE = {
  html: '<img src=x onerror=alert(1)><script>alert(2)</script>',
  formula: '=HYPERLINK("http://evil.test","click")',
  markup: '[click me](http://evil.test) ![x](http://evil.test/x.png) *bold* {code}x{code} h1. Title',
  ansi: 'Reports\x1b[2J\x1b[31mPWNED\x1b]0;owned\x07',
  bidi: 'invoice\u202Efdp.exe',
  huge: `Huge-${'A'.repeat(100_000)}`,
  surrogate: 'Broken\uD800Name',
};

function hostileTenant(): FakeTenant {
  const names = Object.entries(HOSTILE);
  return {
    identities: names.map(([key, displayName]) => ({
      kind: 'oauth-app',
      nativeId: `app-${key}`,
      displayName,
      origin: 'third-party',
      owners: [],
      raw: { description: displayName },
    })),
    grants: names.map(([key, name]) => ({
      identity: { kind: 'oauth-app', nativeId: `app-${key}` },
      permission: { id: `perm-${key}`, name, access: 'admin' },
      target: { breadth: 'tenant', type: 'workspace', label: name },
      risk: { tier: 'critical', reason: name },
    })),
  };
}

const FORMATS = ['table', 'json', 'csv', 'md'] as const;

function checkOutput(command: string, format: (typeof FORMATS)[number], out: string): void {
  const where = `${command} --format ${format}`;
  expect(out.length, where).toBeGreaterThan(0);
  expect(out.includes('\x1b'), `${where}: ANSI escape`).toBe(false);
  expect(out.includes('\x07'), `${where}: BEL`).toBe(false);
  expect(/[\u202A-\u202E\u2066-\u2069]/.test(out), `${where}: bidi control`).toBe(false);
  if (format === 'json') {
    // Scripts get the exact value back; only its printed form is escaped.
    const text = JSON.stringify(JSON.parse(out));
    expect(text).toContain('invoice\u202Efdp.exe');
    expect(text).toContain(HOSTILE.huge);
    return;
  }
  const longest = Math.max(...out.split('\n').map((l) => l.length));
  if (format === 'table') expect(longest, `${where}: longest line`).toBeLessThan(3_000);
  if (format === 'md') {
    // Markdown renders HTML; a terminal table or a CSV cell does not.
    expect(out).not.toMatch(/<img|<script/i);
    expect(out).not.toMatch(/(^|[^\\])\[click me\]\(/);
    expect(out).not.toMatch(/(^|[^\\])!\[x\]/);
    expect(longest, `${where}: longest line`).toBeLessThan(40_000);
  }
  if (format === 'csv') {
    for (const line of out.split('\n')) {
      for (const field of line.split(',')) expect(field.replace(/^"/, '')).not.toMatch(/^[=+@]/);
    }
  }
}

describe('hostile data in every output', () => {
  const dir = tempDir();
  const config = join(dir, 'grantscope.yaml');
  beforeAll(async () => {
    writeFakeSetup(dir, { identities: [], grants: [] });
    expect((await runCli(['scan', '-c', config, '--format', 'json'], { cwd: dir })).code).toBe(0);
    writeFakeSetup(dir, hostileTenant());
  });

  it('scan prints every format without letting the data drive the terminal, a spreadsheet or a renderer', async () => {
    for (const format of FORMATS) {
      const r = await runCli(['scan', '-c', config, '--format', format], { cwd: dir });
      expect(r.code, r.stderr).toBe(0);
      checkOutput('scan', format, r.stdout);
      expect(r.stderr.includes('\x1b')).toBe(false);
    }
  });

  it.each(['inventory', 'findings', 'diff'])('%s in every format', async (command) => {
    for (const format of FORMATS) {
      // diff: the empty first scan against the hostile one, so every hostile record is a change.
      const range = command === 'diff' ? ['--from', '1', '--to', '2'] : [];
      const r = await runCli([command, '-c', config, '--format', format, ...range], { cwd: dir });
      expect(r.code, r.stderr).toBe(0);
      checkOutput(command, format, r.stdout);
    }
  });

  it('findings for other tools (jsonl, sarif, ocsf): escaped, still valid, names kept exactly', async () => {
    for (const format of ['jsonl', 'sarif', 'ocsf'] as const) {
      const where = `findings --format ${format}`;
      const r = await runCli(['findings', '-c', config, '--format', format], { cwd: dir });
      expect(r.code, r.stderr).toBe(0);
      const out = r.stdout;
      expect(out.includes('\x1b'), `${where}: ANSI escape`).toBe(false);
      expect(out.includes('\x07'), `${where}: BEL`).toBe(false);
      expect(/[\u202A-\u202E\u2066-\u2069]/.test(out), `${where}: bidi control`).toBe(false);
      const docs =
        format === 'sarif'
          ? [JSON.parse(out)]
          : out
              .trimEnd()
              .split('\n')
              .map((l) => JSON.parse(l));
      // Tools get the exact value back; only its printed form is escaped.
      expect(JSON.stringify(docs)).toContain('invoice\u202Efdp.exe');
      if (format === 'sarif') {
        const validate = sarifValidator();
        expect(validate(docs[0]), JSON.stringify(validate.errors)).toBe(true);
        for (const result of docs[0].runs[0].results)
          expect(result.message.text, `${where}: embedded link`).not.toMatch(/(^|[^\\])\[click me\]\(/);
      }
      if (format === 'ocsf') {
        const validate = ocsfDetectionFindingValidator();
        for (const e of docs) expect(validate(e), JSON.stringify(validate.errors)).toBe(true);
      }
    }
  });
});
