/**
 * Google Workspace connector: requests and time for the demo domain and a generated 20,000-user domain,
 * scanned through the real SDKs against the in-process emulator.
 *
 * Time is reported twice: as measured against the emulator, and projected at the Directory API quota of
 * the impersonated admin (2,400 queries a minute), which is what bounds a real scan: tokens.list is one call
 * per user. The 20k run raises the connector's pacer so the run itself is quick; the projection is the
 * pacer's schedule at the real quota.
 *
 * Run directly from the repository root: `npm run build && node dist/bench/google-workspace.bench.js`.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  generatedWorkspace,
  parseGoogleWorkspaceSection,
  startEmulator,
  type World,
} from '@grantscope/emulator';
import connector from '../connectors/google-workspace/index.js';
import { collectScan, createTestContext } from '../test/support/connector-context.js';

export interface BenchRow {
  name: string;
  metric: string;
  value: number;
  unit?: string;
  target?: string;
}

const DIRECTORY_QUOTA = 2400;
/** The pacer lets one second's worth through at once. */
const BURST = DIRECTORY_QUOTA / 60;
const DEMO_WORLD = 'fixtures/worlds/test/google-workspace.yaml';
const GENERATED = {
  customer: { id: 'C0bench20k', domain: 'bench.example' },
  generate: { seed: 42, users: 20_000 },
};

interface RunResult {
  rows: BenchRow[];
  directoryCalls: number;
}

async function measure(name: string, world: string | World, quotaPerMinute: number): Promise<RunResult> {
  const emu = await startEmulator({ world });
  let peakRss = process.memoryUsage().rss;
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
  }, 50);
  try {
    const setup = emu.clientSetup();
    const ctx = await createTestContext({
      connector,
      tenant: 'bench',
      caCert: emu.caCert,
      now: emu.now,
      concurrency: 16,
      sleepScale: 1,
    });
    for (const [file, content] of Object.entries(setup.files))
      await writeFile(join(ctx.configDir, file), content);
    const config = connector.configSchema.parse({
      ...(setup.config['google-workspace'] as object),
      directoryQuotaPerMinute: quotaPerMinute,
    });
    const started = performance.now();
    const { records, coverage } = await collectScan(connector, config, ctx);
    const elapsed = performance.now() - started;
    if (coverage.status !== 'complete')
      throw new Error(`${name}: scan incomplete: ${JSON.stringify(coverage)}`);
    const directoryCalls = ctx.requests.filter((r) => r.url.includes('/admin/directory/v1/')).length;
    const atQuotaMs = Math.max(elapsed, (Math.max(0, directoryCalls - BURST) * 60_000) / DIRECTORY_QUOTA);
    const rows: BenchRow[] = [
      { name, metric: 'requests', value: coverage.requests },
      { name, metric: 'Directory API requests (quota-bound)', value: directoryCalls },
      ...coverage.collectors.map((c) => ({ name, metric: `requests: ${c.collector}`, value: c.requests })),
      { name, metric: 'records', value: records.length },
      { name, metric: 'time against the emulator', value: Math.round(elapsed), unit: 'ms' },
      {
        name,
        metric: `time at the ${DIRECTORY_QUOTA}/min Directory quota`,
        value: Math.round(atQuotaMs / 100) / 10,
        unit: 's',
      },
      {
        name,
        metric: 'peak RSS (scanner + emulator)',
        value: Math.round(peakRss / 1024 / 1024),
        unit: 'MiB',
      },
    ];
    return { rows, directoryCalls };
  } finally {
    clearInterval(sampler);
    await emu.stop();
  }
}

/** Pages that reading every token `activity` event would cost instead of one last-use request per app. */
function activityPagesAvoided(now: Date): number {
  const world = generatedWorkspace(parseGoogleWorkspaceSection(GENERATED, 'bench', 'google-workspace'), now);
  let events = 0;
  let cursor: string | null = null;
  do {
    const page = world.events(
      {
        app: 'token',
        eventName: 'activity',
        start: now.getTime() - 180 * 86_400_000,
        end: now.getTime(),
        filters: [],
        actorId: null,
      },
      cursor,
      1000,
    );
    events += page.items.length;
    cursor = page.cursor;
  } while (cursor);
  return Math.ceil(events / 1000);
}

export default async function bench(): Promise<BenchRow[]> {
  const demo = await measure('google-workspace demo domain (14 users)', DEMO_WORLD, DIRECTORY_QUOTA);
  const now = new Date('2026-11-01T00:00:00Z');
  const generatedWorld: World = {
    name: 'bench 20k',
    description: null,
    now,
    faults: [],
    files: [],
    platforms: { 'google-workspace': GENERATED },
  };
  // The pacer raised so the run measures the scanner, not the wait; the quota time is projected.
  const big = await measure(
    'google-workspace generated domain (20,000 users)',
    generatedWorld,
    1_000_000_000,
  );
  const perApp = big.rows.find((r) => r.metric === 'requests: token-activity')?.value ?? 0;
  return [
    ...demo.rows,
    ...big.rows,
    {
      name: 'google-workspace generated domain (20,000 users)',
      metric: 'activity pages a full read of the token log would need (vs per-app last-use lookups)',
      value: activityPagesAvoided(now),
      target: `token-activity used ${perApp} requests`,
    },
  ];
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  bench().then(
    (rows) => {
      const width = Math.max(...rows.map((r) => r.name.length));
      for (const r of rows) {
        console.log(
          `${r.name.padEnd(width)}  ${r.metric.padEnd(60)} ${String(r.value).padStart(10)} ${r.unit ?? ''}${r.target ? `  (${r.target})` : ''}`,
        );
      }
    },
    (err: unknown) => {
      console.error(err);
      process.exitCode = 1;
    },
  );
}
