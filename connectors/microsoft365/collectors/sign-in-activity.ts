import { type CollectorRun, defineCollector } from '../../../src/connector/collector.js';
import { ApiError } from '../../../src/errors.js';
import { timestamp } from '../records.js';
import { SignInActivity } from '../schema.js';
import type { Session } from '../session.js';

/**
 * The usage report. It emits no records of its own: the service principals' identities carry its
 * last sign-ins (`enrichedBy` there).
 */
export const signInActivity = defineCollector<Session, LastSignIns | null>({
  name: 'sign-in-activity',
  description: 'Last sign-in per service principal from the usage report (Graph beta; needs Entra ID P1/P2)',
  permissions: ['AuditLog.Read.All'],
  fetch: collectSignInActivity,
});

export const SIGN_IN_SOURCE = 'entra:servicePrincipalSignInActivities';

/** appId → latest sign-in (null: a row without a timestamp). */
export type LastSignIns = Map<string, string | null>;

function latest(...values: Array<string | null | undefined>): string | null {
  const times = values.map((v) => timestamp(v)).filter((v): v is string => v !== null);
  // ISO timestamps in one format compare correctly as strings.
  return times.length === 0 ? null : times.sort().at(-1)!;
}

/**
 * The beta usage report, keyed by appId (its `id` is not the SP object id). Returns null when the
 * tenant cannot give it (no P1/P2 licence, permission not granted, cloud without the report):
 * coverage says `unavailable` and identities keep `lastUsed: null` (no signal), so nothing is
 * reported stale for lack of data.
 */
async function collectSignInActivity(
  s: Session,
  run: Pick<CollectorRun, 'name' | 'ctx'>,
): Promise<LastSignIns | null> {
  const { name, ctx } = run;
  if (!s.config.signInActivity) {
    ctx.coverage.skip(name, 'disabled in config (microsoft365.signInActivity: false)');
    return null;
  }
  if (s.config.cloud !== 'global') {
    const reason = `the sign-in activity report is only offered in Microsoft's global cloud, not ${s.config.cloud}`;
    ctx.coverage.unavailable(name, reason);
    ctx.coverage.note(name, `${reason}. Last use is unknown: no service principal is judged stale.`);
    return null;
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
      ctx.coverage.unavailable(name, reason, err.status);
      ctx.coverage.note(
        name,
        `${reason}. Last use is unknown: no service principal is judged stale. (${err.message})`,
      );
      return null;
    }
    throw err;
  }
  // Counted here: the report's rows become no records of this collector.
  ctx.coverage.countItems(name, out.size);
  return out;
}
