import type { LegacyCollectorDescriptor as CollectorDescriptor } from '../../../src/connector/legacy.js';
import { ApiError } from '../../../src/errors.js';
import { COLLECTORS, type ScanContext, timestamp } from '../context.js';
import { SignInActivity } from '../schema.js';

export const signInActivityCollector: CollectorDescriptor = {
  name: COLLECTORS.signInActivity,
  description: 'Last sign-in per service principal from the usage report (Graph beta; needs Entra ID P1/P2)',
  requires: 'AuditLog.Read.All + Entra ID P1/P2 licence',
};

export const SIGN_IN_SOURCE = 'entra:servicePrincipalSignInActivities';

/** appId → latest sign-in (null: a row without a timestamp). */
export type LastSignIns = Map<string, string | null>;

function latest(...values: Array<string | null | undefined>): string | null {
  const times = values.map((v) => timestamp(v)).filter((v): v is string => v !== null);
  // ISO timestamps in one format compare correctly as strings.
  return times.length === 0 ? null : times.sort().at(-1)!;
}

/**
 * The beta usage report, keyed by appId (its `id` is not the SP object id). Returns undefined when
 * the tenant cannot give it (no P1/P2 licence, permission not granted, cloud without the report):
 * coverage says `unavailable` and identities keep `lastUsed: null` (no signal), so nothing is
 * reported stale for lack of data.
 */
export async function collectSignInActivity(s: ScanContext): Promise<LastSignIns | undefined> {
  const name = COLLECTORS.signInActivity;
  if (!s.config.signInActivity) {
    s.ctx.coverage.skip(name, 'disabled in config (microsoft365.signInActivity: false)');
    return undefined;
  }
  if (s.config.cloud !== 'global') {
    const reason = `the sign-in activity report is only offered in Microsoft's global cloud, not ${s.config.cloud}`;
    s.ctx.coverage.unavailable(name, reason);
    s.ctx.coverage.note(name, `${reason}. Last use is unknown: no service principal is judged stale.`);
    return undefined;
  }
  const out: LastSignIns = new Map();
  try {
    for await (const page of s.graph.list(
      `/reports/servicePrincipalSignInActivities?$top=${s.config.pageSize}`,
      SignInActivity,
      { api: 'GET /beta/reports/servicePrincipalSignInActivities', requiredPermission: 'AuditLog.Read.All' },
      'beta',
    )) {
      for (const a of page) {
        out.set(
          a.appId.toLowerCase(),
          latest(
            a.lastSignInActivity?.lastSignInDateTime,
            a.applicationAuthenticationClientSignInActivity?.lastSignInDateTime,
            a.delegatedClientSignInActivity?.lastSignInDateTime,
          ),
        );
      }
    }
  } catch (err) {
    // 403: licence or permission missing; 400/404 "Resource not found for the segment": not offered
    // here. Any other error (a rejected query, 5xx, throttling) is a failure, not a missing feature.
    const missingSegment =
      err instanceof ApiError && (err.status === 400 || err.status === 404) && /segment/i.test(err.message);
    if (err instanceof ApiError && (err.status === 403 || missingSegment)) {
      const licence = /NonPremiumTenant|premium license/i.test(err.message);
      const reason = licence
        ? 'the tenant has no Entra ID P1/P2 licence, which the sign-in activity report needs'
        : missingSegment
          ? `this Graph endpoint does not offer the sign-in activity report (${err.status})`
          : `the sign-in activity report is not available to the scanner (${err.status}); grant AuditLog.Read.All`;
      s.ctx.coverage.unavailable(name, reason, err.status);
      s.ctx.coverage.note(
        name,
        `${reason}. Last use is unknown: no service principal is judged stale. (${err.message})`,
      );
      return undefined;
    }
    throw err;
  }
  s.ctx.coverage.countItems(name, out.size);
  return out;
}
