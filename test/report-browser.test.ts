import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeClientConfig } from '../src/demo/client-config.js';
import { startEmulator } from '../src/emulator/server.js';
import { demoWorld } from '../src/package-root.js';
import { ROOT, runCli, tempDir } from './support/cli.js';

/**
 * The HTML report in a real browser: Debian's chromium (installed by .ci/run), driven by playwright-core,
 * on a closed network. The report must show what the findings JSON says, filter and sort its inventory,
 * open an identity page, show a hostile display name served by the emulator as text, and send nothing.
 */
const CHROMIUM = process.env.GS_CHROMIUM ?? '/usr/bin/chromium';
const SKIP = process.env.GS_SKIP_BROWSER === '1';
const ARTIFACTS = join(ROOT, 'test-artifacts');

if (SKIP)
  process.stderr.write(
    '\n*** report-browser.test.ts SKIPPED: GS_SKIP_BROWSER=1. The HTML report is NOT tested in a browser. ***\n\n',
  );

/** Flags for a browser with no network to reach and nothing to phone home (issue 15). */
const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

const HOSTILE = '<img src=x onerror=alert(1)></script><script>alert(2)</script>';
/** A clean Microsoft 365 app of the demo world (Zoom) that the hostile world renames. */
const RENAMED_SP = '4eae3d12-2eda-4c8f-bf42-abdddb5f5285';

interface FindingJson {
  severity: string;
  platform: string;
  rule: string;
  excepted?: boolean;
}

/** A page on `file`, recording every request and dialog. */
async function openReport(context: BrowserContext, file: string) {
  const page = await context.newPage();
  const requests: string[] = [];
  const dialogs: string[] = [];
  page.on('request', (r) => requests.push(r.url()));
  page.on('dialog', async (d) => {
    dialogs.push(d.message());
    await d.dismiss();
  });
  const url = pathToFileURL(file).href;
  await page.goto(url);
  await page.waitForSelector('[data-testid="count-total"]');
  return { page, requests, dialogs, url };
}

const shot = (page: Page, name: string) => page.screenshot({ path: join(ARTIFACTS, name), fullPage: true });

describe.skipIf(SKIP)('HTML report in chromium', () => {
  let context: BrowserContext;
  const profile = mkdtempSync(join(tmpdir(), 'gs-chromium-'));
  const dir = tempDir('gs-report-');
  let findings: FindingJson[];

  beforeAll(async () => {
    if (!existsSync(CHROMIUM))
      throw new Error(
        `${CHROMIUM} not found: install Debian's chromium (apt-get install -y chromium; .ci/run does) or set GS_SKIP_BROWSER=1 to skip this test knowingly`,
      );
    mkdirSync(ARTIFACTS, { recursive: true });
    const demo = await runCli(['demo', '--dir', dir, '--format', 'json']);
    expect(demo.code, demo.stderr).toBe(0);
    expect(JSON.parse(demo.stdout).htmlReport).toBe(join(dir, 'report.html'));
    const r = await runCli(['findings', '-c', join(dir, 'grantscope.yaml'), '--format', 'json']);
    expect(r.code, r.stderr).toBe(0);
    findings = JSON.parse(r.stdout);
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: FLAGS,
    });
  });

  afterAll(async () => {
    await context?.close();
    rmSync(profile, { recursive: true, force: true });
  });

  it('shows the counts of the findings JSON, by severity, platform and rule, and the coverage', async () => {
    const { page, requests, url } = await openReport(context, join(dir, 'report.html'));
    const open = findings.filter((f) => !f.excepted);
    expect(open.length).toBeGreaterThan(10);
    expect(await page.textContent('[data-testid="count-total"]')).toBe(String(open.length));
    for (const sev of ['critical', 'high', 'medium', 'low', 'info']) {
      expect(await page.textContent(`[data-testid="count-${sev}"]`), sev).toBe(
        String(open.filter((f) => f.severity === sev).length),
      );
    }
    expect(await page.textContent('[data-testid="count-excepted"]')).toBe(
      String(findings.filter((f) => f.excepted).length),
    );
    const byPlatform = await page.$$eval('[data-testid="by-platform"] tbody tr', (rows) =>
      rows.map((r) => [r.children[0]!.textContent, r.children[r.children.length - 1]!.textContent]),
    );
    expect(Object.fromEntries(byPlatform)).toEqual(
      Object.fromEntries(
        [...new Set(open.map((f) => f.platform))].map((p) => [
          p,
          String(open.filter((f) => f.platform === p).length),
        ]),
      ),
    );
    const byRule = await page.$$eval('[data-testid="by-rule"] tbody tr', (rows) =>
      rows.map((r) => [r.children[0]!.textContent, r.children[1]!.textContent]),
    );
    expect(Object.fromEntries(byRule)).toEqual(
      Object.fromEntries(
        [...new Set(open.map((f) => f.rule))].map((rule) => [
          rule,
          String(open.filter((f) => f.rule === rule).length),
        ]),
      ),
    );
    // The charts are inline SVG: one bar label per severity, the trend has a point per scan.
    expect(await page.locator('[data-testid="chart-severity"] text[data-value]').count()).toBe(5);
    expect(await page.locator('[data-testid="chart-trend"] circle').count()).toBe(2);
    expect(await page.textContent('[data-testid="incomplete"]')).toBe('Every collector completed.');
    expect(await page.locator('[data-testid="coverage"] tbody tr').count()).toBeGreaterThan(5);
    await shot(page, 'report-summary.png');
    expect(requests).toEqual([url]);
  });

  it('filters and sorts the inventory, then opens an identity page', async () => {
    const { page, requests, url } = await openReport(context, join(dir, 'report.html'));
    await page.click('nav a[data-view="inventory"]');
    const rows = page.locator('[data-testid="inventory"] tbody tr');
    const all = await rows.count();
    expect(all).toBeGreaterThan(20);
    await page.selectOption('select[data-filter="platform"]', 'github');
    const github = await rows.count();
    expect(github).toBeGreaterThan(0);
    expect(github).toBeLessThan(all);
    const platforms = await page.$$eval('[data-testid="inventory"] tbody tr td:nth-child(2)', (cells) =>
      cells.map((c) => c.textContent),
    );
    expect(new Set(platforms)).toEqual(new Set(['github']));
    expect(await page.textContent('[data-testid="inventory-shown"]')).toBe(
      `${github} of ${all} identities shown`,
    );
    // Sort by number of findings, most first: the column reads in descending order.
    await page.click('th[data-key="findings"]');
    await page.click('th[data-key="findings"]');
    expect(await page.getAttribute('th[data-key="findings"]', 'aria-sort')).toBe('descending');
    const counts = (
      await page.$$eval('[data-testid="inventory"] tbody tr td:nth-child(7)', (cells) =>
        cells.map((c) => Number(c.textContent)),
      )
    ).map(Number);
    expect(counts).toEqual([...counts].sort((a, b) => b - a));
    expect(counts[0]).toBeGreaterThan(0);
    // Only ownerless ones: each has no active owner.
    await page.selectOption('select[data-filter="platform"]', '');
    await page.selectOption('select[data-filter="owner"]', '(no active owner)');
    expect(await rows.count()).toBeGreaterThan(0);
    expect(await rows.count()).toBeLessThan(all);
    await page.selectOption('select[data-filter="owner"]', '');
    await page.selectOption('select[data-filter="platform"]', 'github');
    await shot(page, 'report-inventory.png');

    const name = await page.textContent('[data-testid="inventory"] tbody tr:first-child td:first-child a');
    await page.click('[data-testid="inventory"] tbody tr:first-child td:first-child a');
    await page.waitForSelector('[data-testid="identity-name"]');
    expect(await page.textContent('[data-testid="identity-name"]')).toBe(name);
    expect(await page.locator('[data-testid="identity-findings"] tbody tr').count()).toBe(counts[0]);
    expect(await page.locator('[data-testid="identity-grants"] tbody tr').count()).toBeGreaterThan(0);
    // History across both demo snapshots.
    expect(await page.locator('[data-testid="identity-history"] tbody tr').count()).toBe(2);
    const revoke = await page.getAttribute('[data-testid="revoke"]', 'href');
    expect(revoke).toMatch(/^https:\/\//);
    await shot(page, 'report-identity.png');

    await page.click('nav a[data-view="frameworks"]');
    for (const fw of ['owasp-nhi', 'nist-csf', 'cis-v8', 'soc2'])
      expect(await page.locator(`#fw-${fw}`).count(), fw).toBe(1);
    expect(await page.locator('[data-control="owasp-nhi:NHI5"] .status-fail').count()).toBe(1);
    await shot(page, 'report-frameworks.png');
    expect(requests).toEqual([url]);
  });

  it('shows a hostile display name served by the emulator as text: no dialog, no injected node, no request', async () => {
    const hostileDir = tempDir('gs-report-hostile-');
    const world = join(hostileDir, 'hostile.yaml');
    writeFileSync(
      world,
      [
        'name: Hostile names',
        `extends: ${JSON.stringify(demoWorld('demo'))}`,
        'patches:',
        `  - op: update`,
        `    at: microsoft365.servicePrincipals`,
        `    match: { id: ${RENAMED_SP} }`,
        `    value: { displayName: ${JSON.stringify(HOSTILE)} }`,
        '',
      ].join('\n'),
    );
    const emu = await startEmulator({ world });
    try {
      const written = writeClientConfig(emu, hostileDir);
      const scan = await runCli(['scan', '-c', written.configFile, '--format', 'json']);
      expect(scan.code, scan.stderr).toBe(0);
    } finally {
      await emu.stop();
    }
    const file = join(hostileDir, 'hostile.html');
    const r = await runCli(['report', '-c', join(hostileDir, 'grantscope.yaml'), '-o', file]);
    expect(r.code, r.stderr).toBe(0);
    const html = readFileSync(file, 'utf8');
    // The data block cannot be closed by the name: no raw `<` of it is in the file.
    expect(html).not.toContain('<img src=x');
    expect(html).toContain('\\u003cimg src=x onerror=alert(1)\\u003e');

    const { page, requests, dialogs, url } = await openReport(context, file);
    await page.click('nav a[data-view="inventory"]');
    const cell = page.locator('[data-testid="inventory"] td:first-child a', { hasText: 'onerror' });
    expect(await cell.textContent()).toBe(HOSTILE);
    await cell.click();
    await page.waitForSelector('[data-testid="identity-name"]');
    expect(await page.textContent('[data-testid="identity-name"]')).toBe(HOSTILE);
    // Let a frame render: an injected image's onerror would have fired by then.
    await page.evaluate(() => new Promise((done) => requestAnimationFrame(() => done(null))));
    await shot(page, 'report-hostile.png');
    expect(dialogs).toEqual([]);
    expect(await page.locator('img').count()).toBe(0);
    // Only the report's own two script blocks exist.
    expect(await page.locator('script').count()).toBe(2);
    expect(requests).toEqual([url]);
  });
});
