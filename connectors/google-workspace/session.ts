import type { CollectorRun } from '../../src/connector/collector.js';
import type { ConnectorContext } from '../../src/connector/context.js';
import { attributeTo } from '../../src/connector/coverage.js';
import { describeError } from '../../src/errors.js';
import type { Tenant } from '../../src/model/common.js';
import { createGoogleApis, firstDirectoryToken, type GoogleApis } from './client.js';
import type { GoogleWorkspaceConfig } from './config.js';
import { checkCustomer } from './customer-check.js';
import { type PreviousScan, readPreviousScan } from './previous-scan.js';

export const PLATFORM = 'google-workspace';

/** What every collector of one scan shares: the API clients, the tenant, the audit window, the previous snapshot. */
export interface GoogleSession {
  readonly config: GoogleWorkspaceConfig;
  readonly apis: GoogleApis;
  readonly tenant: Tenant;
  /** The Workspace primary domain (to tell deleted users from outside accounts). */
  readonly domain: string;
  readonly now: Date;
  /** Start of the audit-log window read from the Reports API. */
  readonly windowStart: Date;
  /** The tenant's previous snapshot (previous-scan.ts), or why it could not be read. */
  readonly previous: PreviousRead;
  /** Why the users.list token was refused when the scan opened (the users collector reports it). */
  readonly usersTokenRefused: { refused: unknown } | null;
}

export type PreviousRead =
  | { readonly ok: true; readonly scan: PreviousScan }
  | { readonly ok: false; readonly error: unknown };

/**
 * Open a scan: the key file and API clients (a key file that cannot be used fails every collector, and
 * the engine stops: a configuration error), the first token (a token endpoint that cannot be reached fails
 * every collector, after one request: see `firstDirectoryToken`), whether the customer id is the admin's
 * (a wrong one fails every collector: `checkCustomer`), and the previous snapshot. A previous
 * snapshot that cannot be read does not stop the scan here: each collector's own API failures are still
 * reported, and then nothing is stored (`previousScan`).
 */
export async function connect(config: GoogleWorkspaceConfig, ctx: ConnectorContext): Promise<GoogleSession> {
  const apis = createGoogleApis(config, ctx);
  // Counted for the users collector, whose client the token is for.
  const usersTokenRefused = await attributeTo('users', () => firstDirectoryToken(apis));
  // A wrong customer id stops the tenant before anything is stored under it.
  if (!usersTokenRefused) await attributeTo('users', () => checkCustomer(apis, config));
  const now = ctx.clock.now();
  const domain = config.domain ?? config.subject.split('@')[1]!;
  let previous: PreviousRead;
  try {
    previous = { ok: true, scan: await readPreviousScan(ctx.previous) };
  } catch (error) {
    previous = { ok: false, error };
  }
  return {
    config,
    apis,
    tenant: { id: config.customerId, name: config.domain ?? domain },
    domain,
    now,
    windowStart: new Date(now.getTime() - config.auditWindowDays * 86_400_000),
    previous,
    usersTokenRefused,
  };
}

/**
 * Records of completed collectors must not change because another collector failed, so fields that come
 * from a failed one keep the previous snapshot's values (previous-scan.ts). Without the previous snapshot
 * that cannot be done: every collector fails instead, so that the store keeps every record of the tenant
 * as it was.
 */
export class NothingStoredError extends Error {
  constructor(readonly previousError: unknown) {
    super(
      `nothing stored: a collector failed, and the previous snapshot that would keep the other collectors' records unchanged could not be read (${describeError(previousError)})`,
      { cause: previousError },
    );
    this.name = 'NothingStoredError';
  }
}

/** The previous snapshot, for a collector about to complete; throws if it could not be read. */
export function previousScan(session: GoogleSession): PreviousScan {
  if (!session.previous.ok) throw new NothingStoredError(session.previous.error);
  return session.previous.scan;
}

/**
 * The previous snapshot, for a transform about to emit records. When it could not be read: null if this
 * collector failed already (it then emits nothing and keeps its own reason), else NothingStoredError.
 */
export function previousForRecords(session: GoogleSession, run: CollectorRun): PreviousScan | null {
  if (session.previous.ok) return session.previous.scan;
  if (run.status(run.name) === 'failed') return null;
  throw new NothingStoredError(session.previous.error);
}

/**
 * Whether the previous snapshot was taken inside this scan's audit window, so that the two windows overlap
 * and together cover everything from the previous window's start until now. Only then does "no event in
 * this window" plus "what the previous scan saw" say what happened since: with a gap between them, events
 * in the gap were never read by anyone.
 */
export function previousOverlapsWindow(previous: PreviousScan, windowStart: Date): boolean {
  return previous.scannedAt !== null && Date.parse(previous.scannedAt) >= windowStart.getTime();
}
