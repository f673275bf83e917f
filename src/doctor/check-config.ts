import { accessSync, constants, statSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import type { LoadedConfig } from '../config/config.js';
import { describeError } from '../errors.js';
import { loadGovernance } from '../governance/load.js';
import { loadPolicy } from '../policy/load.js';
import { type DoctorCheck, doctorCheck } from './doctor-check.js';

const SUBJECT = 'config';

/** Why `file` cannot be read, or null when it can. */
function unreadable(file: string, folder = false): string | null {
  try {
    const stat = statSync(file);
    if (folder ? !stat.isDirectory() && !stat.isFile() : !stat.isFile()) return 'not a file';
    accessSync(file, constants.R_OK);
    return null;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return code === 'ENOENT' ? 'not found' : code === 'EACCES' ? 'permission denied' : describeError(err);
  }
}

function fileCheck(key: string, file: string, what: string): DoctorCheck {
  const why = unreadable(file, key === 'governance');
  return why
    ? doctorCheck(SUBJECT, key, what, 'missing', {
        evidence: `${file}: ${why}`,
        fix: `fix the path in ${key}, or let the user running grantscope read ${file}`,
      })
    : doctorCheck(SUBJECT, key, what, 'granted', { evidence: file });
}

/**
 * What a valid config can still get wrong: files it names that cannot be read or do not validate
 * (policy, governance, CA, each connector's key and secret files), and sections that do nothing
 * (a plugin no section uses, an empty list of tenants).
 */
export function checkConfig(
  config: LoadedConfig,
  rawSections: Record<string, unknown>,
  /** Each plugin of `plugins:` and the connector id it loaded. */
  pluginIds: ReadonlyMap<string, string>,
): DoctorCheck[] {
  const checks: DoctorCheck[] = [];
  if (config.caFile) checks.push(fileCheck('tls.caFile', config.caFile, 'a readable CA file'));
  if (config.policyFile) {
    const check = fileCheck('policy', config.policyFile, 'a readable, valid policy file');
    if (check.state === 'granted') {
      try {
        loadPolicy(config.policyFile, config.vocabulary);
      } catch (err) {
        check.state = 'missing';
        check.evidence = (err as Error).message;
        check.fix = 'correct the policy file (see `grantscope rules` for the settings)';
      }
    }
    checks.push(check);
  }
  if (config.governanceFile) {
    const check = fileCheck(
      'governance',
      config.governanceFile,
      'a readable, valid governance file or folder',
    );
    if (check.state === 'granted') {
      try {
        loadGovernance(config.governanceFile);
      } catch (err) {
        check.state = 'missing';
        check.evidence = (err as Error).message;
        check.fix = 'correct the governance file (docs/governance.md)';
      }
    }
    checks.push(check);
  }
  for (const cc of config.connectors) {
    for (const ref of cc.connector.configFiles?.(cc.config) ?? []) {
      const file = isAbsolute(ref.path) ? ref.path : resolve(config.dir, ref.path);
      checks.push(fileCheck(`${cc.path}.${ref.key}`, file, 'a readable credential file'));
    }
  }
  // Sections that do nothing.
  const withSection = new Set(config.connectors.map((c) => c.connector.id));
  for (const [key, value] of Object.entries(rawSections)) {
    if (Array.isArray(value) && value.length === 0) {
      checks.push(
        doctorCheck(SUBJECT, key, 'a tenant in each connector section', 'missing', {
          evidence: `${key}: is an empty list, so nothing of it is scanned`,
          fix: `add a tenant under ${key}, or remove the section`,
        }),
      );
    }
  }
  for (const spec of config.settings.plugins) {
    const used = pluginIds.get(spec);
    if (used && !withSection.has(used)) {
      checks.push(
        doctorCheck(SUBJECT, 'plugins', 'a section for each plugin', 'missing', {
          evidence: `plugin '${spec}' (connector '${used}') is loaded but no '${used}:' section uses it`,
          fix: `add a '${used}:' section, or remove the plugin from plugins:`,
        }),
      );
    }
  }
  if (config.connectors.length === 0) {
    checks.push(
      doctorCheck(SUBJECT, 'sections', 'at least one connector section', 'missing', {
        evidence: 'the config names no tenant to scan',
        fix: 'add a github:, microsoft365: or google-workspace: section (`grantscope init` writes one)',
      }),
    );
  }
  return checks;
}
