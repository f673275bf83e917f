import pLimit from 'p-limit';
import type { ConfiguredConnector } from '../config/config.js';
import { CONNECTION_CHECK } from '../connector/access.js';
import { type ConnectorContext, NO_PREVIOUS_SNAPSHOT, systemClock } from '../connector/context.js';
import { CoverageTracker } from '../connector/coverage.js';
import { createHttpPolicy, type HttpPolicyOptions } from '../connector/http.js';
import { describeError, TenantNotFoundError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import { silentProgress } from '../log/progress.js';
import { type DoctorCheck, doctorCheck } from './doctor-check.js';

export interface TenantCheckOptions {
  configDir: string;
  http: Omit<HttpPolicyOptions, 'onRequest'>;
  concurrency: number;
  logger: Logger;
  signal: AbortSignal;
}

/**
 * Each configured tenant: reached and signed in to (the connection check), then every collector's
 * permissions as the connector's `checkAccess` finds them. A connector without one is only connected
 * to, and its collectors' declared permissions are shown as `unknown`.
 */
export async function checkTenant(
  cc: ConfiguredConnector,
  options: TenantCheckOptions,
): Promise<DoctorCheck[]> {
  const { connector } = cc;
  const subject = `${connector.id}:${cc.tenant}`;
  const ctx: ConnectorContext = {
    logger: options.logger.child({ connector: connector.id, tenant: cc.tenant }),
    progress: silentProgress,
    limit: pLimit(options.concurrency),
    http: createHttpPolicy(options.http),
    clock: systemClock,
    coverage: new CoverageTracker(connector.id, connector.platform, cc.tenant, () => new Date()),
    signal: options.signal,
    configDir: options.configDir,
    previous: NO_PREVIOUS_SNAPSHOT,
  };
  const connection = 'reach the tenant and sign in';
  try {
    if (!connector.checkAccess) {
      await connector.connect(cc.config, ctx);
      return [
        doctorCheck(subject, CONNECTION_CHECK, connection, 'granted', { evidence: 'connected' }),
        ...connector.collectors.flatMap((c) =>
          c.permissions.map((p) =>
            doctorCheck(subject, c.name, p, 'unknown', {
              evidence: `the ${connector.id} connector cannot check its permissions`,
            }),
          ),
        ),
      ];
    }
    const checks = await connector.checkAccess(cc.config, ctx);
    return [
      doctorCheck(subject, CONNECTION_CHECK, connection, 'granted', { evidence: 'signed in' }),
      ...checks.map((c) => doctorCheck(subject, c.collector, c.needed, c.state, c)),
    ];
  } catch (err) {
    if (options.signal.aborted) throw err;
    return [
      doctorCheck(subject, CONNECTION_CHECK, connection, 'missing', {
        evidence: describeError(err),
        fix:
          err instanceof TenantNotFoundError
            ? `${err.subject} not found: check \`${err.configKey}\` in the config`
            : `check ${cc.path} in the config: the tenant, the credentials it names, and that the host is reachable`,
      }),
    ];
  }
}
