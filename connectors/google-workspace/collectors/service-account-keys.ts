import { defineCollector, PartialFailure } from '../../../src/connector/collector.js';
import type { ConnectorContext } from '../../../src/connector/context.js';
import { EndpointUnreachableError } from '../../../src/connector/http.js';
import { ApiError } from '../../../src/errors.js';
import type { Tenant } from '../../../src/model/common.js';
import type { CredentialInput } from '../../../src/model/index.js';
import { SCOPES } from '../auth.js';
import { type CallSpec, callGoogle } from '../client.js';
import type { ServiceAccountInfo } from '../records.js';
import { KeysList, type ServiceAccountKey } from '../schema.js';
import { type GoogleSession, PLATFORM, previousForRecords } from '../session.js';
import { serviceAccounts, serviceAccountsGone } from './service-accounts.js';

const NAME = 'service-account-keys';

export const KEYS_SPEC: CallSpec = {
  api: 'IAM API',
  method: 'GET',
  path: '/v1/projects/{project}/serviceAccounts/{account}/keys',
  requiredPermission:
    'iam.serviceAccountKeys.list (roles/iam.serviceAccountViewer); scope https://www.googleapis.com/auth/iam',
};

const FIELDS =
  'keys(name,validAfterTime,validBeforeTime,keyAlgorithm,keyOrigin,keyType,disabled,disableReason,extendedStatus)';

/** The keys read, by service-account email, and the accounts they were read for. */
export interface AccountKeys {
  accounts: readonly ServiceAccountInfo[];
  keys: Map<string, ServiceAccountKey[]>;
}

/**
 * User-managed keys of every service account (`keyTypes=USER_MANAGED`; Google rotates system-managed
 * keys itself). keys.list is not paged: one call per account, bounded by ctx.limit. When some accounts
 * fail, the keys of the others are still emitted and the collector fails.
 */
export const serviceAccountKeys = defineCollector<GoogleSession, AccountKeys>({
  name: NAME,
  description: 'User-managed service-account keys (created, expiry, disabled)',
  permissions: [
    SCOPES.iam,
    'IAM iam.serviceAccountKeys.list (roles/iam.serviceAccountViewer) at the organization',
  ],
  dependsOn: [serviceAccounts.name],
  async fetch(session, run) {
    const accounts = run.input(serviceAccounts);
    const keys = new Map<string, ServiceAccountKey[]>();
    try {
      await listKeys(session, run.ctx, accounts, keys);
    } catch (err) {
      throw new PartialFailure(err, { accounts, keys });
    }
    return { accounts, keys };
  },
  transform({ accounts, keys }, session, run) {
    if (!previousForRecords(session, run)) return [];
    return keyRecords(session.tenant, accounts, keys);
  },
});

async function listKeys(
  session: GoogleSession,
  ctx: ConnectorContext,
  accounts: readonly ServiceAccountInfo[],
  out: Map<string, ServiceAccountKey[]>,
): Promise<void> {
  const { apis } = session;
  const failures: ApiError[] = [];
  const notFound = new Map<string, { sa: ServiceAccountInfo; err: ApiError }>();
  let unreachable: EndpointUnreachableError | undefined;
  await Promise.all(
    accounts.map((sa) =>
      ctx.limit(async () => {
        // An endpoint that stayed unreachable through the retries will not answer the next one either.
        if (unreachable) return;
        try {
          const r = await callGoogle(apis, KEYS_SPEC, KeysList, () =>
            apis.iam.projects.serviceAccounts.keys.list({
              name: `projects/${sa.projectId}/serviceAccounts/${sa.email}`,
              keyTypes: ['USER_MANAGED'],
              fields: FIELDS,
            }),
          );
          // Defence in depth: a key's private half is only ever returned by keys.create, never stored.
          out.set(
            sa.email,
            (r.keys ?? [])
              .filter((k) => k.keyType === undefined || k.keyType === 'USER_MANAGED')
              .map(withoutKeyMaterial),
          );
        } catch (err) {
          const e = err instanceof ApiError ? err : new ApiError(KEYS_SPEC.api, null, String(err));
          // A 404 is not "no keys": checked below whether the account is gone.
          if (e.status === 404) notFound.set(sa.email, { sa, err: e });
          else failures.push(e);
          if (e instanceof EndpointUnreachableError) unreachable ??= e;
        }
      }),
    ),
  );
  // Only an account that is gone takes its keys with it.
  const gone = await serviceAccountsGone(
    session,
    ctx,
    [...notFound.values()].map((x) => x.sa),
  );
  for (const [email, { err }] of notFound) {
    if (gone.has(email)) continue;
    failures.push(
      new ApiError(
        KEYS_SPEC.api,
        404,
        `${err.message} (service account ${email}, still listed in its project: a transient error or a missing permission; its keys are kept from the previous scan, not reported removed)`,
        { method: KEYS_SPEC.method, path: KEYS_SPEC.path, requiredPermission: KEYS_SPEC.requiredPermission },
      ),
    );
  }
  if (gone.size > 0)
    ctx.coverage.note(NAME, `service accounts deleted during the scan: ${[...gone].join(', ')}`);
  if (failures.length > 0) {
    const first = failures[0]!;
    throw new ApiError(
      KEYS_SPEC.api,
      first.status,
      `listing keys failed for ${failures.length} of ${accounts.length} service accounts; first: ${first.message}`,
      { method: KEYS_SPEC.method, path: KEYS_SPEC.path, requiredPermission: KEYS_SPEC.requiredPermission },
    );
  }
}

export function withoutKeyMaterial(k: ServiceAccountKey): ServiceAccountKey {
  const {
    privateKeyData: _p,
    privateKeyType: _t,
    publicKeyData: _pub,
    ...rest
  } = k as ServiceAccountKey & {
    privateKeyData?: unknown;
    privateKeyType?: unknown;
    publicKeyData?: unknown;
  };
  return rest as ServiceAccountKey;
}

/** `9999-12-31T23:59:59Z` is how IAM says a user-managed key never expires. */
function expiry(validBefore: string | undefined): string | null {
  if (!validBefore || validBefore.startsWith('9999-12-31')) return null;
  return validBefore;
}

/** One `service-account-key` credential per key (native id: the key's resource name). */
export function keyRecords(
  tenant: Tenant,
  accounts: readonly ServiceAccountInfo[],
  keys: Map<string, ServiceAccountKey[]>,
): CredentialInput[] {
  const out: CredentialInput[] = [];
  for (const sa of [...accounts].sort((a, b) => a.email.localeCompare(b.email))) {
    for (const k of keys.get(sa.email) ?? []) {
      const exposed = (k.extendedStatus ?? []).some((s) => s.key === 'SERVICE_ACCOUNT_KEY_EXPOSED');
      out.push({
        type: 'credential',
        platform: PLATFORM,
        tenant,
        identity: { kind: 'service-account', nativeId: sa.email },
        credentialType: 'service-account-key',
        nativeId: k.name,
        displayName: k.name.slice(k.name.lastIndexOf('/') + 1),
        createdAt: k.validAfterTime ?? null,
        expiresAt: expiry(k.validBeforeTime),
        // keys.list has no last-use field (Policy Analyzer has it): no signal rather than "never used".
        lastUsed: null,
        enabled: k.disabled !== true,
        attributes: {
          keyOrigin: k.keyOrigin ?? null,
          keyAlgorithm: k.keyAlgorithm ?? null,
          disableReason: k.disableReason ?? null,
          exposed,
          projectId: sa.projectId,
        },
        collector: NAME,
        raw: k,
      });
    }
  }
  return out;
}
