import type { ConnectorContext } from '../../src/connector/context.js';
import type { Tenant } from '../../src/model/common.js';
import type { Endpoints, Microsoft365Config } from './config.js';
import type { GraphApi } from './graph.js';

export const PLATFORM = 'microsoft365';

/** Collector names, as stored with records and in coverage. */
export const COLLECTORS = {
  servicePrincipals: 'service-principals',
  appRoleAssignments: 'app-role-assignments',
  delegatedGrants: 'oauth2-permission-grants',
  owners: 'owners',
  applicationCredentials: 'application-credentials',
  signInActivity: 'sign-in-activity',
} as const;

/** What every collector of one scan shares. */
export interface ScanContext {
  config: Microsoft365Config;
  endpoints: Endpoints;
  ctx: ConnectorContext;
  graph: GraphApi;
  tenant: Tenant;
  /** Owner tenant ids counted as Microsoft first-party. */
  microsoft: ReadonlySet<string>;
}

/** Graph timestamps (up to 7 fractional digits) as the model's ISO form; null when absent or invalid. */
export function timestamp(value: string | null | undefined): string | null {
  if (!value) return null;
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? null : d.toISOString().replace('.000Z', 'Z');
}

export function select(fields: readonly string[]): string {
  return `$select=${fields.join(',')}`;
}
