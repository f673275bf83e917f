import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RunningEmulator } from '@grantscope/emulator';
import { stringify } from 'yaml';
import { UsageError } from '../errors.js';

export interface WrittenClientConfig {
  /** Path of the grantscope.yaml written. */
  configFile: string;
  caFile: string;
  database: string;
}

/** First line of every config this module writes: how a later run knows the folder is its own. */
const WRITTEN_MARK = '# Written by grantscope for the local emulator';

/**
 * Refuses a folder holding a grantscope.yaml or grantscope.db that this module did not write: a
 * user's real config and scan history must never be replaced by throw-away demo ones.
 */
export function assertFolderIsOurs(dir: string, option: string): void {
  const config = join(dir, 'grantscope.yaml');
  const ours = existsSync(config) && readFileSync(config, 'utf8').startsWith(WRITTEN_MARK);
  const foreign = existsSync(config)
    ? ours
      ? null
      : config
    : existsSync(join(dir, 'grantscope.db'))
      ? join(dir, 'grantscope.db')
      : null;
  if (foreign) {
    throw new UsageError(
      `${option} ${dir}: holds ${foreign}, which the demo or emulator did not write; choose an empty folder, or pass --force to replace it`,
    );
  }
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
    `${WRITTEN_MARK} at ${emu.origin}.\n# Key and secret files beside it are throw-away test credentials.\n${stringify(config)}`,
  );
  return { configFile, caFile, database };
}
