import type { Grant, Identity, Origin, PrincipalRef, UsageSignal } from '../../src/model/index.js';
import { type ServiceAccountInfo, serviceAccountInfo } from './collectors/service-accounts.js';
import type { KnownUser, UserLookup } from './collectors/users.js';
import { COLLECTOR, type GoogleScan } from './scan-context.js';
import { ServiceAccount } from './schema.js';

/**
 * What the previous snapshot said, for the fields a collector that failed this time cannot refresh.
 *
 * The store carries over the records of a failed collector by itself. This is for the records of the
 * collectors that did complete but take some fields from one that did not: owners judged against the
 * users, a delegation joined to its service account and project, a service account's project owners and
 * delegation flag, an app's grant times and last use. Those fields keep their previous values instead of
 * going blank, so that no record changes only because another collector failed (which the diff would
 * report as owners changed, grants changed, and the rules as new findings).
 */
export interface PreviousScan {
  /** Users as the previous snapshot judged them (for when the users collector failed). */
  readonly users: UserLookup;
  /** Service accounts by email, with what their record said about their project. */
  readonly serviceAccounts: Map<string, PreviousServiceAccount>;
  readonly serviceAccountsByClientId: Map<string, PreviousServiceAccount>;
  /** Domain-wide delegations by client id: their origin (third-party, unknown, ...). */
  readonly delegations: Map<string, { origin: Origin }>;
  readonly oauthClients: Map<string, PreviousOAuthClient>;
}

export interface PreviousServiceAccount {
  info: ServiceAccountInfo;
  projectNumber: string | null;
  owners: PrincipalRef[];
  ownersKnown: boolean;
  domainWideDelegation: boolean | null;
}

/** An app's fields that come from the Reports token log, and the grant time of each of its grants. */
export interface PreviousOAuthClient {
  createdAt: string | null;
  lastUsed: UsageSignal | null;
  /** `lastRevokedAt` and `grantedBeforeWindow`, when the previous scan had the audit log. */
  activityAttributes: Record<string, string | boolean | null>;
  /** grantedAt by `scope|user id`. */
  grantedAt: Map<string, string | null>;
}

export function oauthGrantKey(scope: string, userId: string): string {
  return `${scope}|${userId}`;
}

export const NO_PREVIOUS_SCAN: PreviousScan = {
  users: { complete: false, byId: () => undefined, byEmail: () => undefined },
  serviceAccounts: new Map(),
  serviceAccountsByClientId: new Map(),
  delegations: new Map(),
  oauthClients: new Map(),
};

const ACTIVITY_ATTRIBUTES = ['lastRevokedAt', 'grantedBeforeWindow'] as const;

/**
 * Read what `needs` asks for from the previous snapshot: `oauthClients` (apps and their grants) when
 * oauth-grants or token-activity failed; `gcp` (delegations, service accounts, and the users they name)
 * when users, domain-wide-delegation, gcp-projects or service-accounts failed. A clean scan reads nothing.
 */
export async function readPreviousScan(
  scan: GoogleScan,
  needs: { oauthClients: boolean; gcp: boolean },
): Promise<PreviousScan> {
  const kinds = [
    ...(needs.oauthClients ? ['oauth-client'] : []),
    ...(needs.gcp ? ['domain-wide-delegation', 'service-account'] : []),
  ];
  if (kinds.length === 0 || scan.ctx.previous.scanId === null) return NO_PREVIOUS_SCAN;
  const byId = new Map<string, KnownUser>();
  const byEmail = new Map<string, KnownUser>();
  const know = (refs: readonly (PrincipalRef | null)[]) => {
    for (const r of refs) {
      if (r?.type !== 'user') continue;
      const u: KnownUser = { id: r.id, email: r.name, active: r.active };
      byId.set(r.id, u);
      if (r.name) byEmail.set(r.name.toLowerCase(), u);
    }
  };
  const out = {
    serviceAccounts: new Map<string, PreviousServiceAccount>(),
    serviceAccountsByClientId: new Map<string, PreviousServiceAccount>(),
    delegations: new Map<string, { origin: Origin }>(),
    oauthClients: new Map<string, PreviousOAuthClient>(),
  };
  for await (const bundle of scan.ctx.previous.bundles({ kinds })) {
    const identity = bundle.identity;
    if (!identity) continue;
    if (identity.kind === 'oauth-client' && identity.collector === COLLECTOR.oauthGrants) {
      out.oauthClients.set(identity.nativeId, oauthClient(identity, bundle.grants));
    } else if (identity.kind === 'domain-wide-delegation' && identity.collector === COLLECTOR.delegation) {
      out.delegations.set(identity.nativeId, { origin: identity.origin });
      // Statuses an earlier failure left unjudged are not taken as known.
      if (identity.ownersKnown) {
        know(identity.owners);
        know(bundle.grants.filter((g) => g.collector === COLLECTOR.delegation).map((g) => g.grantedBy));
      }
    } else if (identity.kind === 'service-account' && identity.collector === COLLECTOR.serviceAccounts) {
      const raw = ServiceAccount.safeParse(identity.raw);
      if (!raw.success) continue;
      const sa: PreviousServiceAccount = {
        info: serviceAccountInfo(raw.data),
        projectNumber: identity.publisher.id,
        owners: identity.owners,
        ownersKnown: identity.ownersKnown,
        domainWideDelegation:
          typeof identity.attributes.domainWideDelegation === 'boolean'
            ? identity.attributes.domainWideDelegation
            : null,
      };
      out.serviceAccounts.set(sa.info.email, sa);
      out.serviceAccountsByClientId.set(sa.info.oauth2ClientId, sa);
      if (identity.ownersKnown) know(identity.owners);
    }
  }
  return {
    ...out,
    users: {
      complete: false,
      byId: (id) => byId.get(id),
      byEmail: (email) => byEmail.get(email.toLowerCase()),
    },
  };
}

function oauthClient(identity: Identity, grants: readonly Grant[]): PreviousOAuthClient {
  const activityAttributes: Record<string, string | boolean | null> = {};
  for (const k of ACTIVITY_ATTRIBUTES) {
    const v = identity.attributes[k];
    if (v === null || typeof v === 'string' || typeof v === 'boolean') activityAttributes[k] = v;
  }
  return {
    createdAt: identity.createdAt,
    lastUsed: identity.lastUsed,
    activityAttributes,
    grantedAt: new Map(
      grants
        .filter((g) => g.collector === COLLECTOR.oauthGrants && g.principal)
        .map((g) => [oauthGrantKey(g.permission.id, g.principal!.id), g.grantedAt]),
    ),
  };
}
