import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ConfiguredConnector } from '../../src/config/config.js';
import type { AnyConnector } from '../../src/connector/connector.js';
import type { CoverageReport } from '../../src/connector/coverage.js';
import { type RunningEmulator, startEmulator } from '../../src/emulator/server.js';
import type { World } from '../../src/emulator/world.js';
import { openStore } from '../../src/store/open.js';
import type { SnapshotStore } from '../../src/store/store.js';
import { runTestScan } from './test-scan.js';

/** One scan of one tenant, as the incremental-rescan tests look at it. */
export interface TenantScan {
  id: number;
  status: string;
  coverage: CoverageReport;
  /** Requests the emulator served to routes whose pattern ends with `suffix`, during this scan. */
  requests(suffix: string): number;
  /** Every request the emulator served during this scan. */
  total: number;
}

/**
 * An emulator and a folder for scans of one connector's tenant into stores of their own, for tests of
 * rescans: each scan is run at a given time (the scan clock), optionally with `--full`.
 */
export interface RescanBench {
  readonly emu: RunningEmulator;
  newStore(name: string): Promise<SnapshotStore>;
  scan(store: SnapshotStore, at: Date, fullResync?: boolean): Promise<TenantScan>;
  close(): Promise<void>;
}

export async function rescanBench(options: {
  world: string | World;
  connector: AnyConnector;
  /** The connector's section in the emulator's client config, its tenant and config path. */
  section: string;
  tenant: string;
}): Promise<RescanBench> {
  const emu = await startEmulator({ world: options.world });
  const dir = mkdtempSync(join(tmpdir(), `gs-rescans-${options.section}-`));
  const caFile = join(dir, 'emulator-ca.pem');
  writeFileSync(caFile, emu.caCert);
  const stores: SnapshotStore[] = [];
  return {
    emu,
    async newStore(name) {
      const s = await openStore(join(dir, name));
      stores.push(s);
      return s;
    },
    async scan(store, at, fullResync = false) {
      const setup = emu.clientSetup();
      for (const [name, content] of Object.entries(setup.files)) writeFileSync(join(dir, name), content);
      const cc: ConfiguredConnector = {
        connector: options.connector,
        config: options.connector.configSchema.parse(setup.config[options.section]),
        tenant: options.tenant,
        path: options.section,
      };
      emu.resetStats();
      const out = await runTestScan({
        store,
        connectors: [cc],
        configDir: dir,
        caFile,
        clock: { now: () => new Date(at), sleep: async () => {} },
        fullResync,
      });
      const { routes, total } = emu.stats();
      return {
        total,
        id: out.scan.id,
        status: out.scan.status,
        coverage: out.coverage[0]!,
        requests: (suffix) =>
          routes.filter((r) => r.pattern.endsWith(suffix)).reduce((n, r) => n + r.count, 0),
      };
    },
    async close() {
      for (const s of stores) await s.close();
      await emu.stop();
    },
  };
}
