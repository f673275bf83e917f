import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { loadConfig } from '../src/config/config.js';
import type { Collector } from '../src/connector/collector.js';
import type { AnyConnector, Connector } from '../src/connector/connector.js';
import { loadConnectors } from '../src/connector/registry.js';
import { checkCollectors, scanTenant } from '../src/connector/runner.js';
import { writeClientConfig } from '../src/demo/client-config.js';
import { type RunningEmulator, startEmulator } from '../src/emulator/server.js';
import { ApiError } from '../src/errors.js';
import { type ModelRecord, ScanRecord } from '../src/model/record.js';
import { demoWorld } from '../src/package-root.js';
import { tempDir } from './support/cli.js';
import { createTestContext } from './support/connector-context.js';

/**
 * Every connector keeps the same contract, checked the way Renovate checks its platform modules: the
 * three built-ins and the fake fourth platform of test/support/fake-connector.mjs, loaded as a plugin
 * is. Each declares named, described collectors with the permissions they need, documents every config
 * key in its README, and leaves a failing collector to the runner: when one collector fails, it alone
 * (and what depends on it) is failed, it emits nothing, and every other collector ends as in a good scan.
 */
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const FAKE = join(root, 'test/support/fake-connector.mjs');

/** The page that documents each connector's config. */
const README: Record<string, string> = {
  github: 'connectors/github/README.md',
  microsoft365: 'connectors/microsoft365/README.md',
  'google-workspace': 'connectors/google-workspace/README.md',
  'acme-saas': 'test/support/fake-connector.md',
};

/** Top-level config keys, as a user writes them. */
function configKeys(connector: AnyConnector): string[] {
  const schema = z.toJSONSchema(connector.configSchema, { io: 'input', unrepresentable: 'any' }) as {
    properties?: Record<string, unknown>;
  };
  return Object.keys(schema.properties ?? {});
}

let connectors: AnyConnector[];
let emu: RunningEmulator;
let configs: Map<string, { config: unknown; dir: string }>;

beforeAll(async () => {
  connectors = await loadConnectors([FAKE]);
  emu = await startEmulator({ world: demoWorld('demo') });
  const dir = tempDir('gs-conformance-');
  const { configFile } = writeClientConfig(emu, dir);
  const loaded = loadConfig(configFile, connectors);
  configs = new Map(loaded.connectors.map((cc) => [cc.connector.id, { config: cc.config, dir }]));
  // The fake platform reads its tenant from a records file.
  const app = (nativeId: string) => ({
    kind: 'oauth-app',
    nativeId,
    displayName: nativeId,
    origin: 'third-party',
    owners: [],
    raw: { id: nativeId },
  });
  writeFileSync(join(dir, 'records.json'), JSON.stringify({ identities: [app('crm'), app('export')] }));
  const fake = connectors.find((c) => c.id === 'acme-saas')!;
  configs.set('acme-saas', {
    config: fake.configSchema.parse({ tenant: 't1', recordsFile: 'records.json' }),
    dir,
  });
}, 60_000);
afterAll(() => emu?.stop());

describe('every connector keeps the connector contract', () => {
  it('loads the three built-ins and the fake fourth platform', () => {
    expect(connectors.map((c) => c.id).sort()).toEqual(
      ['acme-saas', 'github', 'google-workspace', 'microsoft365'].sort(),
    );
  });

  for (const id of ['github', 'microsoft365', 'google-workspace', 'acme-saas']) {
    describe(id, () => {
      const connector = () => connectors.find((c) => c.id === id)!;

      it('is a declaration the engine runs: collectors named, described, with permissions, dependencies sound', () => {
        const c = connector();
        expect(c.platform).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
        expect(c.title.trim()).not.toBe('');
        expect(() => checkCollectors(c)).not.toThrow();
        expect(c.collectors.length).toBeGreaterThan(0);
      });

      it('documents every config key in its README', () => {
        const readme = readFileSync(join(root, README[id]!), 'utf8');
        const keys = configKeys(connector());
        expect(keys.length).toBeGreaterThan(0);
        const missing = keys.filter((k) => !readme.includes(`\`${k}\``) && !readme.includes(`${k}:`));
        expect(missing, `config keys not documented in ${README[id]}`).toEqual([]);
      });
    });
  }
});

describe('a collector that fails is contained by the runner', () => {
  /** Scan with the demo world's config; `failing` has its fetch replaced by one that throws. */
  async function scan(connector: Connector<unknown, unknown>, failing?: string) {
    const setup = configs.get(connector.id);
    const collectors = connector.collectors.map(
      (c): Collector<unknown> =>
        c.name === failing
          ? {
              ...c,
              fetch: async () => {
                throw new ApiError('Injected', 503, `${c.name} failed on purpose`, {
                  method: 'GET',
                  path: `/injected/${c.name}`,
                });
              },
            }
          : c,
    );
    const declared = { ...connector, collectors };
    const ctx = await createTestContext({
      connector: declared,
      tenant: 'conformance',
      caCert: emu.caCert,
      now: emu.now,
      configDir: setup!.dir,
    });
    const config = setup!.config;
    const records: ModelRecord[] = [];
    for await (const r of scanTenant(declared, config, ctx)) {
      const rec = ScanRecord.parse(r);
      if (rec.type !== 'person') records.push(rec);
    }
    return { records, coverage: ctx.coverage.report() };
  }

  /** Collectors that need `name`, directly or through others. */
  function dependents(connector: Connector<unknown, unknown>, name: string): Set<string> {
    const out = new Set<string>();
    let grew = true;
    while (grew) {
      grew = false;
      for (const c of connector.collectors) {
        if (out.has(c.name)) continue;
        if ((c.dependsOn ?? []).some((d) => d === name || out.has(d))) {
          out.add(c.name);
          grew = true;
        }
      }
    }
    return out;
  }

  for (const id of ['github', 'microsoft365', 'google-workspace', 'acme-saas']) {
    it(`${id}: each collector in turn`, async () => {
      const connector = connectors.find((c) => c.id === id)!;
      const good = await scan(connector);
      const goodStatus = new Map(good.coverage.collectors.map((c) => [c.collector, c.status]));
      expect(
        [...goodStatus.values()].every((s) => s !== 'failed'),
        JSON.stringify(good.coverage),
      ).toBe(true);
      for (const c of connector.collectors) {
        const out = await scan(connector, c.name);
        const of = (name: string) => out.coverage.collectors.find((x) => x.collector === name)!;
        expect(of(c.name), c.name).toMatchObject({ status: 'failed', httpStatus: 503 });
        expect(of(c.name).reason).toContain(`${c.name} failed on purpose`);
        expect(
          out.records.filter((r) => r.collector === c.name),
          c.name,
        ).toEqual([]);
        const needing = dependents(connector, c.name);
        for (const other of connector.collectors) {
          if (other.name === c.name) continue;
          if (needing.has(other.name)) {
            expect(of(other.name).status, `${other.name} needs ${c.name}`).toBe('failed');
            expect(of(other.name).reason).toMatch(/^not run: it needs the /);
          } else {
            expect(of(other.name).status, `${other.name} when ${c.name} fails`).toBe(
              goodStatus.get(other.name),
            );
          }
        }
      }
    }, 180_000);
  }
});
