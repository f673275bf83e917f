import { z } from 'zod';
import type { PreviousSnapshot } from '../../src/connector/context.js';
import type { Grant, Identity, Origin, PrincipalRef, UsageSignal } from '../../src/model/index.js';
import type { IdentityBundle } from '../../src/store/store.js';
import type { CarriedFrom, Delegation } from './delegation-replay.js';
import {
  type KnownUser,
  type ProjectSideBefore,
  type ServiceAccountInfo,
  serviceAccountInfo,
  type UserLookup,
} from './records.js';
import { ServiceAccount, type Token } from './schema.js';

/**
 * What the previous snapshot said, read once when a scan opens (session.ts), for two purposes.
 *
 * Carry-over: the Reports audit log reaches back about six months, so domain-wide delegations, OAuth
 * grant times and last use start from what earlier scans saw (`delegations[].state`, `oauthClients`).
 *
 * Keeping records unchanged when a collector fails: the store carries over the records of a failed
 * collector by itself. This is for the records of the collectors that did complete but take some fields
 * from one that did not: owners judged against the users, a delegation joined to its service account and
 * project, a service account's project owners and delegation flag, an app's grant times and last use.
 * Those fields keep their previous values instead of going blank, so that no record changes only because
 * another collector failed (which the diff would report as owners changed, grants changed, and the rules
 * as new findings).
 */
export interface PreviousScan {
  /** The scan read, or null on a first scan (nothing read). */
  readonly scanId: number | null;
  readonly scannedAt: string | null;
  /** Users as the previous snapshot judged them (for when the users collector failed). */
  readonly users: UserLookup;
  /** Service accounts by email, with what their record said about their project. */
  readonly serviceAccounts: Map<string, PreviousServiceAccount>;
  readonly serviceAccountsByClientId: Map<string, PreviousServiceAccount>;
  /** Domain-wide delegations by client id. */
  readonly delegations: Map<string, PreviousDelegation>;
  readonly oauthClients: Map<string, PreviousOAuthClient>;
  /**
   * Each user's tokens as the stored grants carry them (a grant's raw record is the token it came from,
   * one grant per scope), by user id, for an incremental tokens.list (incremental-tokens.ts). Null when a
   * stored grant's raw record is not a token. Read in this same pass, not in a second read of the snapshot.
   */
  readonly tokensByUser: ReadonlyMap<string, readonly Token[]> | null;
}

export interface PreviousServiceAccount extends ProjectSideBefore {
  info: ServiceAccountInfo;
  domainWideDelegation: boolean | null;
}

export interface PreviousDelegation {
  /** Its origin (third-party, internal, unknown, ...). */
  origin: Origin;
  /** The delegation as this window's replay starts from it; null when it was stored without a time. */
  state: Delegation | null;
}

/** An app's fields that come from the Reports token log, and the grant time of each of its grants. */
export interface PreviousOAuthClient {
  createdAt: string | null;
  lastUsed: UsageSignal | null;
  /** `lastRevokedAt` and `grantedBeforeWindow`, when the previous scan had the audit log. */
  activityAttributes: Record<string, string | boolean | null>;
  /** grantedAt by `scope|user id`. */
  grantedAt: Map<string, string | null>;
  /** The grant time of each user's grants (all of one user's scopes share it), where there is one. */
  grantedAtByUser: Map<string, string>;
}

export function oauthGrantKey(scope: string, userId: string): string {
  return `${scope}|${userId}`;
}

/** The names the records read back were stored under (their collectors' names). */
const STORED_BY = {
  oauthClient: 'oauth-grants',
  delegation: 'domain-wide-delegation',
  serviceAccount: 'service-accounts',
} as const;
const KINDS = ['oauth-client', 'domain-wide-delegation', 'service-account'];
const ACTIVITY_ATTRIBUTES = ['lastRevokedAt', 'grantedBeforeWindow'] as const;

function emptyPreviousScan(previous: PreviousSnapshot): PreviousScan {
  return {
    scanId: null,
    scannedAt: previous.scannedAt,
    users: { complete: false, byId: () => undefined, byEmail: () => undefined },
    serviceAccounts: new Map(),
    serviceAccountsByClientId: new Map(),
    delegations: new Map(),
    oauthClients: new Map(),
    tokensByUser: new Map(),
  };
}

/**
 * Read the apps, delegations and service accounts of the previous snapshot, in one pass. Nothing on a
 * first scan. Throws what the store throws: the session keeps it, and collectors then store nothing.
 */
export async function readPreviousScan(previous: PreviousSnapshot): Promise<PreviousScan> {
  if (previous.scanId === null) return emptyPreviousScan(previous);
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
  const seenIn: CarriedFrom = { scanId: previous.scanId, lastSeenInAuditLog: previous.scannedAt };
  const out = {
    serviceAccounts: new Map<string, PreviousServiceAccount>(),
    serviceAccountsByClientId: new Map<string, PreviousServiceAccount>(),
    delegations: new Map<string, PreviousDelegation>(),
    oauthClients: new Map<string, PreviousOAuthClient>(),
  };
  const tokens = new StoredTokens();
  for await (const bundle of previous.bundles({ kinds: KINDS })) {
    const identity = bundle.identity;
    if (!identity) continue;
    if (identity.kind === 'oauth-client' && identity.collector === STORED_BY.oauthClient) {
      out.oauthClients.set(identity.nativeId, oauthClient(identity, bundle.grants));
      tokens.add(bundle.grants);
    } else if (identity.kind === 'domain-wide-delegation' && identity.collector === STORED_BY.delegation) {
      out.delegations.set(identity.nativeId, {
        origin: identity.origin,
        state: storedDelegation(bundle, seenIn) ?? null,
      });
      // Statuses an earlier failure left unjudged are not taken as known.
      if (identity.ownersKnown) {
        know(identity.owners);
        know(bundle.grants.filter((g) => g.collector === STORED_BY.delegation).map((g) => g.grantedBy));
      }
    } else if (identity.kind === 'service-account' && identity.collector === STORED_BY.serviceAccount) {
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
    tokensByUser: tokens.byUser(),
    scanId: previous.scanId,
    scannedAt: previous.scannedAt,
    users: {
      complete: false,
      byId: (id) => byId.get(id),
      byEmail: (email) => byEmail.get(email.toLowerCase()),
    },
  };
}

/** The tokens behind an app's stored user grants, one per (user, app) whatever its number of scopes. */
class StoredTokens {
  private readonly tokens = new Map<string, Token[]>();
  private readonly seen = new Set<string>();
  private unreadable = false;

  add(grants: readonly Grant[]): void {
    for (const g of grants) {
      if (g.collector !== STORED_BY.oauthClient || g.principal?.type !== 'user') continue;
      const raw = g.raw as Partial<Token> | null;
      if (!raw || typeof raw.clientId !== 'string') {
        this.unreadable = true;
        continue;
      }
      const pair = `${g.principal.id}|${raw.clientId}`;
      if (this.seen.has(pair)) continue;
      this.seen.add(pair);
      const list = this.tokens.get(g.principal.id);
      if (list) list.push(raw as Token);
      else this.tokens.set(g.principal.id, [raw as Token]);
    }
  }

  byUser(): ReadonlyMap<string, readonly Token[]> | null {
    return this.unreadable ? null : this.tokens;
  }
}

function oauthClient(identity: Identity, grants: readonly Grant[]): PreviousOAuthClient {
  const activityAttributes: Record<string, string | boolean | null> = {};
  for (const k of ACTIVITY_ATTRIBUTES) {
    const v = identity.attributes[k];
    if (v === null || typeof v === 'string' || typeof v === 'boolean') activityAttributes[k] = v;
  }
  const userGrants = grants.filter((g) => g.collector === STORED_BY.oauthClient && g.principal);
  const grantedAtByUser = new Map<string, string>();
  for (const g of userGrants) {
    if (g.grantedAt && !grantedAtByUser.has(g.principal!.id))
      grantedAtByUser.set(g.principal!.id, g.grantedAt);
  }
  return {
    createdAt: identity.createdAt,
    lastUsed: identity.lastUsed,
    activityAttributes,
    grantedAt: new Map(userGrants.map((g) => [oauthGrantKey(g.permission.id, g.principal!.id), g.grantedAt])),
    grantedAtByUser,
  };
}

/** The parts of a stored delegation the replay starts from; each falls back to the model fields. */
const StoredDelegation = z.object({
  attributes: z.object({
    scopes: z.array(z.string()).optional().catch(undefined),
    authorizedAt: z.iso.datetime({ offset: true }).optional().catch(undefined),
    authorizedBy: z.string().nullable().optional().catch(undefined),
    history: z
      .array(
        z.object({
          at: z.iso.datetime({ offset: true }),
          action: z.enum(['authorize', 'remove']),
          by: z.string().nullable(),
          scopes: z.array(z.string()),
        }),
      )
      .optional()
      .catch(undefined),
    visibleInAuditLog: z.boolean().optional().catch(undefined),
    carriedFromScan: z.number().int().nullable().optional().catch(undefined),
    lastSeenInAuditLog: z.string().nullable().optional().catch(undefined),
  }),
  raw: z
    .object({
      scopes: z.array(z.string()).optional().catch(undefined),
      authorizedById: z.string().nullable().optional().catch(undefined),
    })
    .catch({}),
});

/**
 * A stored delegation as the replay's starting point, marked as carried from where it was last seen in
 * the audit log (`seenIn`, or where it was already carried from then).
 */
function storedDelegation(bundle: IdentityBundle, seenIn: CarriedFrom): Delegation | undefined {
  const identity = bundle.identity!;
  const { attributes: a, raw } = StoredDelegation.parse({
    attributes: identity.attributes,
    raw: identity.raw ?? {},
  });
  const grants = bundle.grants.filter((g) => g.collector === STORED_BY.delegation);
  const authorizedAt = a.authorizedAt ?? grants[0]?.grantedAt ?? identity.createdAt;
  if (!authorizedAt) return undefined;
  return {
    clientId: identity.nativeId,
    scopes: raw.scopes ?? a.scopes ?? grants.map((g) => g.permission.id),
    authorizedAt,
    authorizedBy: {
      email: a.authorizedBy ?? grants[0]?.grantedBy?.name ?? null,
      id: raw.authorizedById ?? null,
    },
    since: identity.createdAt ?? authorizedAt,
    history: (a.history ?? []).map((h) => ({
      at: h.at,
      action: h.action,
      by: { email: h.by, id: null },
      scopes: h.scopes,
    })),
    carried:
      a.visibleInAuditLog === false
        ? { scanId: a.carriedFromScan ?? null, lastSeenInAuditLog: a.lastSeenInAuditLog ?? null }
        : seenIn,
  };
}
