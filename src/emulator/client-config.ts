import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { RunningEmulator } from './server.js';

export interface WrittenClientConfig {
  /** Path of the grantscope.yaml written. */
  configFile: string;
  caFile: string;
  database: string;
}

/**
 * Write a grantscope.yaml (plus key and secret files, and the emulator CA) into `dir`, so that
 * `grantscope scan -c <dir>/grantscope.yaml` scans the emulated tenants.
 */
export function writeClientConfig(
  emu: RunningEmulator,
  dir: string,
  extra: Record<string, unknown> = {},
): WrittenClientConfig {
  const setup = emu.clientSetup();
  for (const [name, content] of Object.entries(setup.files)) {
    const file = join(dir, name);
    writeFileSync(file, content, { mode: 0o600 });
    chmodSync(file, 0o600);
  }
  const caFile = join(dir, 'emulator-ca.pem');
  writeFileSync(caFile, emu.caCert);
  const database = join(dir, 'grantscope.db');
  const config = {
    database: 'grantscope.db',
    tls: { caFile: 'emulator-ca.pem' },
    ...extra,
    ...setup.config,
  };
  const configFile = join(dir, 'grantscope.yaml');
  writeFileSync(
    configFile,
    `# Written by grantscope for the local emulator at ${emu.origin}.\n# Key and secret files beside it are throw-away test credentials.\n${stringify(config)}`,
  );
  return { configFile, caFile, database };
}
