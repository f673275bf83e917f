import { writeFile } from 'node:fs/promises';
import type { AnyConnector } from '../../src/connector/connector.js';
import { startEmulator } from '../../src/emulator/server.js';
import type { World } from '../../src/emulator/world.js';
import type { ModelRecord } from '../../src/model/record.js';
import { collectScan, createTestContext } from './connector-context.js';

/**
 * Scan one world with a built-in connector through its real SDK, with the config section and files
 * the emulator hands out (the section is the connector's id), and return the validated records.
 */
export async function scanWorld(connector: AnyConnector, world: string | World): Promise<ModelRecord[]> {
  const emu = await startEmulator({ world });
  try {
    const setup = emu.clientSetup();
    const section = setup.config[connector.id];
    if (section === undefined) throw new Error(`the emulator has no '${connector.id}' config section`);
    const ctx = await createTestContext({ connector, tenant: connector.id, caCert: emu.caCert });
    for (const [name, content] of Object.entries(setup.files))
      await writeFile(`${ctx.configDir}/${name}`, content);
    const { records } = await collectScan(connector, connector.configSchema.parse(section), ctx);
    return records;
  } finally {
    await emu.stop();
  }
}

/** The identity kinds and credential types among `records`, sorted. */
export function termsOf(records: readonly ModelRecord[]): { kinds: string[]; credentialTypes: string[] } {
  const kinds = new Set<string>();
  const credentialTypes = new Set<string>();
  for (const r of records) {
    if (r.type === 'identity') kinds.add(r.kind);
    else kinds.add(r.identity.kind);
    if (r.type === 'credential') credentialTypes.add(r.credentialType);
  }
  return { kinds: [...kinds].sort(), credentialTypes: [...credentialTypes].sort() };
}
