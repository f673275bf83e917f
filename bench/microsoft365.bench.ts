/**
 * Microsoft 365 connector: requests and time for the demo tenant and for a generated tenant of
 * 50,000 service principals, against the local emulator through the real SDKs, compared with the
 * naive per-object approach (one list, then an owners call and an appRoleAssignments call per
 * service principal: computed, not run).
 *
 * Harness: default export `bench()` returns rows. Directly: `node dist/bench/microsoft365.bench.js`
 * after `npm run build` (prints the rows as a table).
 */
import { existsSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type RunningEmulator, startEmulator, type World } from '@grantscope/emulator';
import connector, { Microsoft365Config } from '../connectors/microsoft365/index.js';
import { scanTenant } from '../src/connector/runner.js';
import { createTestContext } from '../test/support/connector-context.js';

interface BenchRow {
  name: string;
  metric: string;
  value: number | string;
  unit?: string;
  target?: string;
}

const NOW = new Date('2026-11-01T00:00:00Z');
const PAGE = 999;
const GENERATED_SPS = 50_000;
const GENERATED_USERS = 20_000;

function fixtures(): string {
  // Works from bench/ (sources) and from dist/bench/ (built).
  for (let dir = dirname(fileURLToPath(import.meta.url)); dir !== dirname(dir); dir = dirname(dir)) {
    const f = join(dir, 'fixtures', 'worlds');
    if (existsSync(f)) return f;
  }
  throw new Error('fixtures/worlds not found above the bench module');
}

interface ScanNumbers {
  ms: number;
  requests: number;
  emulatorRequests: number;
  byCollector: Record<string, number>;
  records: Record<string, number>;
  servicePrincipals: number;
  notes: string[];
  status: string;
}

async function scanOnce(emu: RunningEmulator): Promise<ScanNumbers> {
  const setup = emu.clientSetup();
  const ctx = await createTestContext({
    connector,
    tenant: 'bench',
    caCert: emu.caCert,
    now: NOW,
    concurrency: 8,
  });
  for (const [name, content] of Object.entries(setup.files))
    writeFileSync(join(ctx.configDir, name), content);
  const config = Microsoft365Config.parse(setup.config.microsoft365);
  emu.resetStats();
  const records: Record<string, number> = { identity: 0, grant: 0, credential: 0 };
  const t0 = performance.now();
  for await (const r of scanTenant(connector, config, ctx)) records[r.type] = (records[r.type] ?? 0) + 1;
  const ms = performance.now() - t0;
  const coverage = ctx.coverage.report();
  return {
    ms,
    requests: coverage.requests,
    emulatorRequests: emu.stats().total,
    byCollector: Object.fromEntries(coverage.collectors.map((c) => [c.collector, c.requests])),
    records,
    servicePrincipals: records.identity ?? 0,
    notes: coverage.collectors.flatMap((c) => c.notes.map((n) => `${c.collector}: ${n}`)),
    status: coverage.status,
  };
}

/** One list, then `/owners` and `/appRoleAssignments` for every service principal. */
const naiveRequests = (sps: number) => Math.ceil(sps / PAGE) + 2 * sps;

function rows(label: string, n: ScanNumbers, ratioTarget?: string): BenchRow[] {
  const naive = naiveRequests(n.servicePrincipals);
  return [
    { name: `microsoft365 ${label}`, metric: 'scan status', value: n.status },
    { name: `microsoft365 ${label}`, metric: 'service principals', value: n.servicePrincipals },
    {
      name: `microsoft365 ${label}`,
      metric: 'records (identities/grants/credentials)',
      value: `${n.records.identity}/${n.records.grant}/${n.records.credential}`,
    },
    { name: `microsoft365 ${label}`, metric: 'HTTP requests (all collectors + token)', value: n.requests },
    {
      name: `microsoft365 ${label}`,
      metric: 'HTTP requests seen by the emulator',
      value: n.emulatorRequests,
    },
    ...Object.entries(n.byCollector).map(([c, v]) => ({
      name: `microsoft365 ${label}`,
      metric: `requests: ${c}`,
      value: v,
    })),
    {
      name: `microsoft365 ${label}`,
      metric: 'naive requests (list + owners + appRoleAssignments per SP, computed)',
      value: naive,
    },
    {
      name: `microsoft365 ${label}`,
      metric: 'requests vs naive',
      value: Number((n.requests / naive).toFixed(4)),
      unit: 'x',
      ...(ratioTarget ? { target: ratioTarget } : {}),
    },
    {
      name: `microsoft365 ${label}`,
      metric: 'scan time',
      value: Number((n.ms / 1000).toFixed(2)),
      unit: 's',
    },
  ];
}

export default async function bench(): Promise<BenchRow[]> {
  const out: BenchRow[] = [];
  const demo = await startEmulator({ world: resolve(fixtures(), 'test/m365-demo.yaml'), now: NOW });
  try {
    out.push(...rows('demo tenant', await scanOnce(demo)));
  } finally {
    await demo.stop();
  }

  const generated: World = {
    name: 'generated 50k',
    description: null,
    now: NOW,
    faults: [],
    files: [],
    platforms: {
      microsoft365: {
        tenant: {
          id: '5e1f0c2a-7b3d-4e9f-8a61-2c4d6e8f0a1b',
          displayName: 'Contoso (generated)',
          defaultDomain: 'contoso.example',
        },
        scanner: { appId: '9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a' },
        generate: { seed: 42, servicePrincipals: GENERATED_SPS, users: GENERATED_USERS },
      },
    },
  };
  const big = await startEmulator({ world: generated, now: NOW });
  try {
    const n = await scanOnce(big);
    const label = `generated tenant (${GENERATED_SPS.toLocaleString('en')} SPs, ${GENERATED_USERS.toLocaleString('en')} users)`;
    out.push(...rows(label, n, '< 0.1'));
    for (const note of n.notes)
      out.push({ name: 'microsoft365 generated tenant', metric: 'note', value: note });
  } finally {
    await big.stop();
  }
  out.push({
    name: 'microsoft365 process',
    metric: 'peak RSS',
    value: Math.round(process.resourceUsage().maxRSS / 1024),
    unit: 'MiB',
  });
  return out;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const result = await bench();
  for (const r of result)
    console.log(
      `${r.name} | ${r.metric} | ${r.value}${r.unit ? ` ${r.unit}` : ''}${r.target ? ` (target ${r.target})` : ''}`,
    );
}
