import type { LegacyCollectorDescriptor as CollectorDescriptor } from '../../../src/connector/legacy.js';
import { ApiError } from '../../../src/errors.js';
import type { PrincipalRef, UsageSignal } from '../../../src/model/common.js';
import type { IdentityInput } from '../../../src/model/identity.js';
import { originOf } from '../classify.js';
import { COLLECTORS, PLATFORM, type ScanContext, select, timestamp } from '../context.js';
import { SERVICE_PRINCIPAL_SELECT, ServicePrincipal } from '../schema.js';

export const servicePrincipalsCollector: CollectorDescriptor = {
  name: COLLECTORS.servicePrincipals,
  description:
    'Enterprise applications (service principals): app id, owner tenant, publisher and verified publisher, enabled, type, tags, created',
  requires: 'Application.Read.All',
};

/**
 * Every service principal in one pass (`$top=999`). `appRoles` is selected too: it tells which
 * service principals are resources (APIs) whose assignments the app-role collector must read, and
 * resolves their GUIDs, at no extra request.
 */
export async function listServicePrincipals(s: ScanContext): Promise<ServicePrincipal[]> {
  const task = 'microsoft365: service principals';
  s.ctx.progress.start(task);
  const read = async (fields: readonly string[]) => {
    const out: ServicePrincipal[] = [];
    const path = `/servicePrincipals?${select(fields)}&$top=${s.config.pageSize}`;
    for await (const page of s.graph.list(path, ServicePrincipal, {
      api: 'GET /servicePrincipals',
      requiredPermission: servicePrincipalsCollector.requires!,
    })) {
      out.push(...page);
      s.ctx.progress.tick(task, page.length);
    }
    return out;
  };
  let out: ServicePrincipal[];
  try {
    out = await read(SERVICE_PRINCIPAL_SELECT);
  } catch (err) {
    // servicePrincipal.createdDateTime is returned by the service (msgraph-sdk-java#2246) but not
    // declared in Graph's metadata (msgraph-sdk-dotnet#3062): should Graph ever refuse it in $select,
    // the list is read without it rather than failing on every tenant.
    if (!(err instanceof ApiError && err.status === 400 && /createdDateTime/.test(err.message))) throw err;
    out = await read(SERVICE_PRINCIPAL_SELECT.filter((f) => f !== 'createdDateTime'));
    s.ctx.coverage.note(
      COLLECTORS.servicePrincipals,
      `creation dates unavailable: Graph refused $select=createdDateTime on servicePrincipals (${err.message}); read without it`,
    );
  }
  s.ctx.progress.done(task);
  s.ctx.coverage.countItems(COLLECTORS.servicePrincipals, out.length);
  return out;
}

export interface IdentityExtras {
  /** null: owners were not collected (first-party, the owners collector failed, or only in part). */
  owners: PrincipalRef[] | null;
  lastUsed: UsageSignal | null;
}

function activityUnknown(owners: readonly PrincipalRef[]): boolean {
  return !owners.some((o) => o.active === true) && owners.some((o) => o.active === null);
}

/** The model identity of a service principal. Native id = the SP object id; the appId goes to attributes. */
export function servicePrincipalIdentity(
  s: ScanContext,
  sp: ServicePrincipal,
  extras: IdentityExtras,
): IdentityInput {
  const origin = originOf(sp, s.tenant.id, s.microsoft);
  const verified = sp.verifiedPublisher?.verifiedPublisherId ?? null;
  const { appRoles, ...raw } = sp;
  return {
    type: 'identity',
    platform: PLATFORM,
    tenant: s.tenant,
    kind: 'service-principal',
    nativeId: sp.id,
    displayName: sp.displayName,
    publisher: {
      name:
        sp.verifiedPublisher?.displayName ??
        (origin === 'internal' ? s.tenant.name : origin === 'platform' ? 'Microsoft' : null),
      id: sp.appOwnerOrganizationId,
      verified: verified !== null,
    },
    origin,
    createdAt: timestamp(sp.createdDateTime),
    enabled: sp.accountEnabled,
    lastUsed: extras.lastUsed,
    owners: extras.owners ?? [],
    // Owners not fetched (owners collector failed, or a Microsoft first-party app): unknown, not
    // none. Owners listed but none known to be active while some are of unknown activity (read
    // without User.Read.All): whether anyone active answers for the app is unknown too.
    ownersKnown: extras.owners !== null && !activityUnknown(extras.owners),
    manageUrl: `${s.endpoints.portalUrl}/#view/Microsoft_AAD_IAM/ManagedAppMenuBlade/~/Overview/objectId/${sp.id}/appId/${sp.appId}`,
    attributes: {
      appId: sp.appId,
      appOwnerOrganizationId: sp.appOwnerOrganizationId,
      servicePrincipalType: sp.servicePrincipalType,
      signInAudience: sp.signInAudience,
      tags: sp.tags,
      verifiedPublisherId: verified,
      exposedAppRoles: appRoles.length,
    },
    collector: COLLECTORS.servicePrincipals,
    raw: { ...raw, appRoles: appRoles.map((r) => ({ id: r.id, value: r.value })) },
  };
}
