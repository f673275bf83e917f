import type { ConnectorContext } from '../../src/connector/context.js';
import { ApiError } from '../../src/errors.js';
import type { Tenant } from '../../src/model/common.js';
import type { CallSpec, GoogleApis } from './api.js';
import type { GoogleWorkspaceConfig } from './config.js';

export const PLATFORM = 'google-workspace';

/** Collector names, as stored with records and in coverage. */
export const COLLECTOR = {
  users: 'users',
  oauthGrants: 'oauth-grants',
  tokenActivity: 'token-activity',
  delegation: 'domain-wide-delegation',
  projects: 'gcp-projects',
  serviceAccounts: 'service-accounts',
  keys: 'service-account-keys',
} as const;

/** What every collector of one scan shares. */
export interface GoogleScan {
  readonly config: GoogleWorkspaceConfig;
  readonly ctx: ConnectorContext;
  readonly apis: GoogleApis;
  readonly tenant: Tenant;
  readonly now: Date;
  /** Start of the audit-log window read from the Reports API. */
  readonly windowStart: Date;
}

/**
 * Whether the previous snapshot was taken inside this scan's audit window, so that the two windows overlap
 * and together cover everything from the previous window's start until now. Only then does "no event in
 * this window" plus "what the previous scan saw" say what happened since: with a gap between them, events
 * in the gap were never read by anyone.
 */
export function previousOverlapsWindow(scan: GoogleScan): boolean {
  const at = scan.ctx.previous.scannedAt;
  return at !== null && Date.parse(at) >= scan.windowStart.getTime();
}

/** Follow `nextPageToken` until the last page; a token seen twice is a server bug, not a reason to loop. */
export async function eachPage<P extends { nextPageToken?: string }>(
  spec: CallSpec,
  fetchPage: (pageToken: string | undefined) => Promise<P>,
  onPage: (page: P) => void,
): Promise<number> {
  const seen = new Set<string>();
  let token: string | undefined;
  let pages = 0;
  do {
    const page = await fetchPage(token);
    pages += 1;
    onPage(page);
    token = page.nextPageToken || undefined;
    if (token && seen.has(token)) {
      throw new ApiError(spec.api, 200, `paging did not advance (page token repeated after ${pages} pages)`, {
        method: spec.method,
        path: spec.path,
      });
    }
    if (token) seen.add(token);
  } while (token);
  return pages;
}
