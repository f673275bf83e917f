import { UsageError } from '../errors.js';
import type { ConfiguredConnector, LoadedConfig } from './config.js';

/** Which configured tenants a scan or a round covers: all, or those of `only` connectors, or the `tenants` named. */
export interface TenantSelection {
  /** Connector ids (`--only`). */
  only?: readonly string[];
  /** `tenant` or `connector:tenant` (`--tenant`). */
  tenants?: readonly string[];
}

/** The config's tenants a scan or round covers; a name that matches none is a usage error listing the configured ones. */
export function selectTenants(
  config: LoadedConfig,
  selection: TenantSelection,
): Array<{ connector: string; tenant: string }> {
  let tenants = config.connectors.map((c) => ({ connector: c.connector.id, tenant: c.tenant }));
  const { only, tenants: wanted } = selection;
  if (only) tenants = tenants.filter((t) => only.includes(t.connector));
  if (wanted) {
    const matches = (w: string, t: { connector: string; tenant: string }) =>
      w === t.tenant || w === `${t.connector}:${t.tenant}`;
    const unknown = wanted.filter((w) => !tenants.some((t) => matches(w, t)));
    if (unknown.length > 0) {
      throw new UsageError(
        `--tenant: not configured in ${config.file}: ${unknown.join(', ')}; configured: ${tenants.map((t) => `${t.connector}:${t.tenant}`).join(', ')}`,
      );
    }
    tenants = tenants.filter((t) => wanted.some((w) => matches(w, t)));
  }
  if (tenants.length === 0) {
    throw new UsageError(
      only
        ? `no configured connector matches --only ${only.join(' ')}`
        : `${config.file}: no connector sections configured`,
    );
  }
  return tenants;
}

/** The configured connectors `selection` names, in config order (what `scan` runs); errors as `selectTenants`. */
export function selectConfiguredConnectors(
  config: LoadedConfig,
  selection: TenantSelection,
): ConfiguredConnector[] {
  const chosen = selectTenants(config, selection);
  return config.connectors.filter((c) =>
    chosen.some((t) => t.connector === c.connector.id && t.tenant === c.tenant),
  );
}
