import { mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig, readConfigFile } from '../config/config.js';
import { loadConnectors } from '../connector/registry.js';
import { checkConfig } from './check-config.js';

async function check(
  yaml: string,
  files: Record<string, string> = {},
  pluginIds: ReadonlyMap<string, string> = new Map(),
) {
  const dir = join(tmpdir(), `gs-doctor-cfg-${process.pid}-${Math.random().toString(36).slice(2)}`);
  mkdirSync(dir);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  const file = join(dir, 'grantscope.yaml');
  writeFileSync(file, yaml);
  const config = loadConfig(file, await loadConnectors());
  const raw = readConfigFile(file).parsed.value as Record<string, unknown>;
  const sections = Object.fromEntries(
    Object.entries(raw).filter(([k]) => !['database', 'policy'].includes(k)),
  );
  return checkConfig(config, sections, pluginIds).map((c) => `${c.collector}:${c.state}`);
}

describe('checkConfig', () => {
  it('flags a plugin that no section uses', async () => {
    const yaml = 'plugins: [./saas.mjs]\ngithub:\n  org: acme\n  tokenEnv: GH_TOKEN\n';
    // The built-ins are loaded only: the plugin's connector id comes from the command, which imports it.
    expect(await check(yaml, {}, new Map([['./saas.mjs', 'acme-saas']]))).toEqual(['plugins:missing']);
    expect(await check(yaml, {}, new Map([['./saas.mjs', 'github']]))).toEqual([]);
  });

  it('names a key file that cannot be read, by its config key', async () => {
    const yaml = 'github:\n  org: acme\n  app: { id: 1, privateKeyFile: missing.pem }\n';
    expect(await check(yaml)).toEqual(['github.app.privateKeyFile:missing']);
    expect(await check(yaml.replace('missing.pem', 'k.pem'), { 'k.pem': 'x' })).toEqual([
      'github.app.privateKeyFile:granted',
    ]);
  });

  it('validates the policy file and flags an empty tenant list and a config without tenants', async () => {
    const result = await check('policy: policy.yaml\nmicrosoft365: []\n', {
      'policy.yaml': 'version: 1\nrules: { nosuchrule: {} }\n',
    });
    expect(result).toEqual(['policy:missing', 'microsoft365:missing', 'sections:missing']);
  });
});
