import { type CollectorRun, defineCollector } from '../../../src/connector/collector.js';
import { attributeTo } from '../../../src/connector/coverage.js';
import { emitOrCarry } from '../../../src/connector/records-carry.js';
import { ApiError } from '../../../src/errors.js';
import type { PrincipalRef, Tenant, UsageSignal } from '../../../src/model/common.js';
import type { IdentityInput } from '../../../src/model/identity.js';
import { EarlyAssignmentReads } from '../assignments-early.js';
import { select } from '../client.js';
import { startPreviousGrants } from '../grants-delta.js';
import { EarlyOwnerReads } from '../owners-early.js';
import { startPreviousOwners } from '../owners-incremental.js';
import { PreviousReads } from '../previous-reads.js';
import { originOf, timestamp } from '../records.js';
import { APPLICATION_SELECT, Application, SERVICE_PRINCIPAL_SELECT, ServicePrincipal } from '../schema.js';
import { readServicePrincipalObjects, startPreviousServicePrincipals } from '../service-principals-delta.js';
import { markOwnedByOnly, PLATFORM, type Session } from '../session.js';
import { type LastSignIns, SIGN_IN_SOURCE } from './sign-in-activity.js';

const NAME = 'service-principals';

/** The tenant's app registrations, or the error that stopped reading them. */
export type ApplicationList = { applications: Application[] } | { failed: unknown };

/** What this collector reads, and the collectors that depend on it get. */
export interface AppDirectory {
  servicePrincipals: ServicePrincipal[];
  /**
   * Read here, at once with the service principals, and counted for `application-credentials`, which
   * fails with its error. The owners collector needs the list too (the owners of the tenant's own app
   * registrations are read per application object id), and goes on without it when it could not be
   * read; the runner starts a dependent only after its dependency succeeded, so the list cannot be
   * `application-credentials`' own fetched data without its failure stopping the owners.
   *
   * Handed on unsettled (it never rejects): the collectors that depend on the service principals but not
   * on the application list (app role assignments, delegated grants) start without waiting for its
   * pages, which on a rescan read through the delta link end after the rebuilt list. The two that need
   * it wait for it in their own fetch, so its requests still end within a collector's fetch.
   */
  applications: Promise<ApplicationList>;
  /**
   * The owners read while the list was paged (owners-early.ts), for the owners collector; null when
   * this scan reads them after the list (a rescan reading only what may have changed).
   */
  earlyOwners: EarlyOwnerReads | null;
  /** The previous snapshot's grant objects and owners, read while the list was paged (a rescan). */
  previous?: PreviousReads;
  /**
   * The resources' app role assignments read while the list was paged (assignments-early.ts), for the
   * app-role collector; null when owners are read then instead (a first scan).
   */
  earlyAssignments?: EarlyAssignmentReads | null;
}

/** Owners per service principal object id (the owners collector's data). Absent: owners unknown. */
export type OwnersByServicePrincipal = ReadonlyMap<string, PrincipalRef[]>;

/**
 * Enterprise applications. Every other collector but the sign-in report needs this list; the
 * identities it builds carry the owners and last sign-ins of two other collectors when they have them
 * (`enrichedBy`), and say what they lack when they do not.
 */
export const servicePrincipals = defineCollector<Session, AppDirectory>({
  name: NAME,
  description:
    'Enterprise applications (service principals): app id, owner tenant, publisher and verified publisher, enabled, type, tags, created',
  permissions: ['Application.Read.All'],
  enrichedBy: ['owners', 'sign-in-activity'],
  async fetch(s, run) {
    // In the order the owners need them: the users delta link (a first scan), taken before any owner is
    // read, small and answered at once; then the list, whose pages every owner read waits for. The
    // application list is needed only once the whole list is read: it is asked when the list's first
    // page is in, so that a server answering large pages in turn does not hold that page behind it.
    const earlyOwners = EarlyOwnerReads.start(s, run.ctx);
    const earlyAssignments = earlyOwners ? null : new EarlyAssignmentReads(s, run.ctx);
    // The reads `connect` started (the previous service principals, while the token was asked), if any.
    const previous = s.previous ?? new PreviousReads();
    const startOthers = () => {
      // Read as that collector reads them (its name selects its records).
      startPreviousGrants(s, { ctx: run.ctx, name: 'oauth2-permission-grants' }, previous);
      startPreviousOwners(s, run.ctx, previous);
    };
    // A delta round is one request or few, and this thread's reading of the previous service
    // principals is then what the collectors that depend on them wait for: the other reads start
    // once it ended, and fill those collectors' own waits instead. A list is paged: they fill its wait.
    const delta = startPreviousServicePrincipals(s, run, previous);
    let firstPage!: () => void;
    const paged = new Promise<void>((resolve) => {
      firstPage = resolve;
    });
    const onPage = (page: readonly ServicePrincipal[]) => {
      firstPage();
      earlyOwners?.addPage(page);
      earlyAssignments?.addPage(page);
    };
    const listing = readServicePrincipalObjects(
      s,
      run,
      SERVICE_PRINCIPAL_SELECT,
      () => listServicePrincipals(s, run, onPage),
      previous,
    );
    // A list that fails before its first page: the application list is still read (and awaited below,
    // or by the collectors that need it).
    listing.then(firstPage, firstPage);
    // A delta round's answer is small: the application list need not wait for it.
    const applications = (delta ? Promise.resolve() : paged).then(() =>
      attributeTo('application-credentials', () => readApplications(s)),
    );
    if (!delta) startOthers();
    let listed = false;
    try {
      const read = await listing;
      if (delta) startOthers();
      const { servicePrincipals } = read;
      // Rebuilt from a delta round: no page came, the early reads get the whole list at once.
      if (read.incremental) onPage(servicePrincipals);
      earlyOwners?.listed();
      earlyAssignments?.listed();
      listed = true;
      return { servicePrincipals, applications, earlyOwners, previous, earlyAssignments };
    } finally {
      // Not left running when the service principal list failed (no dependent will run to take them):
      // their requests end within this fetch.
      if (!listed)
        await Promise.all([
          applications,
          earlyOwners?.settled(),
          earlyAssignments?.settled(),
          previous.settled(),
        ]);
    }
  },
  transform({ servicePrincipals: sps }, s, run) {
    // Marked here, not in fetch: an unavailable collector stops those that depend on it, and an
    // OwnedBy-only token still lets them read what it reaches.
    markOwnedByOnly(s, run, true);
    const from: IdentitySources = {
      tenant: s.tenant,
      microsoft: s.microsoft,
      portalUrl: s.endpoints.portalUrl,
      owners: run.optional<OwnersByServicePrincipal>('owners'),
      signIns: run.optional<LastSignIns | null>('sign-in-activity') ?? null,
    };
    // The same identities as the previous scan stored: carried forward, not checked and stored again.
    return emitOrCarry(run, SERVICE_PRINCIPALS_RECORDS_DIGEST, () => servicePrincipalIdentities(sps, from));
  },
});

/**
 * The connector-state key of the digest of the identity records a scan stored
 * (src/connector/records-carry.ts): the next scan compares its own records' digest with it.
 */
export const SERVICE_PRINCIPALS_RECORDS_DIGEST = 'servicePrincipals.recordsDigest';

/**
 * Every service principal in one pass (`$top=999`). `appRoles` is selected too: it tells which
 * service principals are resources (APIs) whose assignments the app-role collector must read, and
 * resolves their GUIDs, at no extra request.
 */
async function listServicePrincipals(
  s: Session,
  run: Pick<CollectorRun, 'ctx'>,
  onPage: (page: readonly ServicePrincipal[]) => void,
): Promise<ServicePrincipal[]> {
  const { ctx } = run;
  const task = 'microsoft365: service principals';
  ctx.progress.start(task);
  const read = async (fields: readonly string[]) => {
    const out: ServicePrincipal[] = [];
    const path = `/servicePrincipals?${select(fields)}&$top=${s.config.pageSize}`;
    for await (const page of s.graph.list(path, ServicePrincipal, {
      api: 'GET /servicePrincipals',
      requiredPermission: 'Application.Read.All',
    })) {
      out.push(...page);
      onPage(page);
      ctx.progress.tick(task, page.length);
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
    ctx.coverage.note(
      NAME,
      `creation dates unavailable: Graph refused $select=createdDateTime on servicePrincipals (${err.message}); read without it`,
    );
  }
  ctx.progress.done(task);
  return out;
}

/** The tenant's app registrations with their credentials' metadata. */
async function readApplications(s: Session): Promise<ApplicationList> {
  const applications: Application[] = [];
  try {
    for await (const page of s.graph.list(
      `/applications?${select(APPLICATION_SELECT)}&$top=${s.config.pageSize}`,
      Application,
      { api: 'GET /applications', requiredPermission: 'Application.Read.All' },
    )) {
      applications.push(...page);
    }
    return { applications };
  } catch (failed) {
    return { failed };
  }
}

/** What an identity is built from besides its service principal. */
export interface IdentitySources {
  tenant: Tenant;
  /** Owner tenant ids counted as Microsoft first-party. */
  microsoft: ReadonlySet<string>;
  portalUrl: string;
  /** Owners per service principal id; null when the owners collector failed. */
  owners: OwnersByServicePrincipal | null;
  /** Last sign-in per appId; null without the report (failed, unavailable, disabled). */
  signIns: LastSignIns | null;
}

/**
 * One identity per service principal. An identity depends only on the service principal list, owners
 * and sign-ins, and says which of those it lacks (ownersKnown, lastUsed null): another collector
 * failing must not rewrite it.
 */
export function* servicePrincipalIdentities(
  sps: readonly ServicePrincipal[],
  from: IdentitySources,
): Generator<IdentityInput, void> {
  // One at a time: the runner stores them in batches, never a tenant's worth at once.
  for (const sp of sps) {
    const origin = originOf(sp, from.tenant.id, from.microsoft);
    const owners = from.owners && origin !== 'platform' ? (from.owners.get(sp.id) ?? null) : null;
    yield servicePrincipalIdentity(sp, from, {
      owners,
      lastUsed: lastUsedOf(origin, sp.appId, from.signIns),
    });
  }
}

function lastUsedOf(origin: string, appId: string, signIns: LastSignIns | null): UsageSignal | null {
  if (!signIns) return null;
  const at = signIns.get(appId.toLowerCase());
  if (at !== undefined) return { at, source: SIGN_IN_SOURCE };
  // Absent from the report = no sign-in recorded. First-party apps are not judged on that: their
  // usage is often recorded under other app ids.
  return origin === 'platform' ? null : { at: null, source: SIGN_IN_SOURCE };
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
  sp: ServicePrincipal,
  from: Pick<IdentitySources, 'tenant' | 'microsoft' | 'portalUrl'>,
  extras: IdentityExtras,
): IdentityInput {
  const { tenant } = from;
  const origin = originOf(sp, tenant.id, from.microsoft);
  const verified = sp.verifiedPublisher?.verifiedPublisherId ?? null;
  const { appRoles, ...raw } = sp;
  return {
    type: 'identity',
    platform: PLATFORM,
    tenant,
    kind: 'service-principal',
    nativeId: sp.id,
    displayName: sp.displayName,
    publisher: {
      name:
        sp.verifiedPublisher?.displayName ??
        (origin === 'internal' ? tenant.name : origin === 'platform' ? 'Microsoft' : null),
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
    manageUrl: `${from.portalUrl}/#view/Microsoft_AAD_IAM/ManagedAppMenuBlade/~/Overview/objectId/${sp.id}/appId/${sp.appId}`,
    attributes: {
      appId: sp.appId,
      appOwnerOrganizationId: sp.appOwnerOrganizationId,
      servicePrincipalType: sp.servicePrincipalType,
      signInAudience: sp.signInAudience,
      tags: sp.tags,
      verifiedPublisherId: verified,
      exposedAppRoles: appRoles.length,
    },
    collector: NAME,
    // A role's member types tell a resource (isResource) when a rescan rebuilds the list from these
    // objects (service-principals-delta.ts); its other fields are not used.
    raw: {
      ...raw,
      appRoles: appRoles.map((r) => ({ id: r.id, value: r.value, allowedMemberTypes: r.allowedMemberTypes })),
    },
  };
}
