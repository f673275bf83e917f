import { type CollectorRun, defineCollector } from '../../../src/connector/collector.js';
import { emitOrCarry } from '../../../src/connector/records-carry.js';
import type { PrincipalRef } from '../../../src/model/common.js';
import type { PersonInput } from '../../../src/model/person.js';
import { BATCH_SIZE, type BatchResult, childListNotFound, select } from '../client.js';
import type { EarlyOwnerReads } from '../owners-early.js';
import { planOwnerReads } from '../owners-incremental.js';
import type { PreviousReads } from '../previous-reads.js';
import { originOf } from '../records.js';
import {
  type Application,
  DIRECTORY_OBJECT_SELECT,
  DirectoryObject,
  type ServicePrincipal,
} from '../schema.js';
import { markOwnedByOnly, PLATFORM, type Session } from '../session.js';
import type { AppDirectory, OwnersByServicePrincipal } from './service-principals.js';

/**
 * Owners. The service principals' identities carry them (`enrichedBy` there); the user owners are
 * also emitted as person records with Entra's `accountEnabled` (`listing: reference`: the scan reads
 * owners, not the whole directory, so a user missing from them says nothing). It reads the application list with the service principals (the owners of the
 * tenant's own app registrations are read per application object id) and goes on without it when it
 * could not be read.
 */
export const owners = defineCollector<Session, OwnersByServicePrincipal>({
  name: 'owners',
  description:
    'Owners of service principals and of the tenant’s own app registrations, with whether each owner is still enabled',
  // User.Read.All (or Directory.Read.All) only tells whether user owners are enabled (and reads
  // users delta on a rescan); AuditLog.Read.All with Directory.Read.All reads the owner changes of a
  // rescan from the audit log (without them owners are read in full every scan).
  permissions: ['Application.Read.All', 'User.Read.All', 'AuditLog.Read.All'],
  dependsOn: ['service-principals'],
  async fetch(s, run) {
    const { servicePrincipals, earlyOwners, previous } = run.input<AppDirectory>('service-principals');
    // Still being read when the service principal collector ended (a rescan's delta round is quicker).
    const applications = await run.input<AppDirectory>('service-principals').applications;
    let read = false;
    try {
      const out = await readOwners(
        s,
        run,
        servicePrincipals,
        'applications' in applications ? applications.applications : undefined,
        earlyOwners,
        previous,
      );
      read = true;
      return out;
    } finally {
      markOwnedByOnly(s, run, read);
    }
  },
  transform(owners, s, run) {
    // The same people as the previous scan stored: carried forward, not checked and stored again.
    return emitOrCarry(run, OWNER_PEOPLE_RECORDS_DIGEST, () => ownerPeople(owners, s, run.name));
  },
});

/**
 * The connector-state key of the digest of the person records (user owners) a scan stored
 * (src/connector/records-carry.ts): the next scan compares its own records' digest with it.
 */
export const OWNER_PEOPLE_RECORDS_DIGEST = 'owners.recordsDigest';

/** One person per user owner whose status is known, once however many apps they own. */
function* ownerPeople(owners: OwnersByServicePrincipal, s: Session, name: string): Generator<PersonInput> {
  const seen = new Set<string>();
  for (const list of owners.values()) {
    for (const o of list) {
      // A user read without User.Read.All has no status: no person then, rather than a wrong one.
      if (o.type !== 'user' || o.active === null || seen.has(o.id.toLowerCase())) continue;
      seen.add(o.id.toLowerCase());
      yield {
        type: 'person',
        platform: PLATFORM,
        tenant: s.tenant,
        nativeId: o.id,
        name: o.name,
        // user resource: accountEnabled "true if the account is enabled; otherwise, false".
        status: o.active ? 'active' : 'disabled',
        listing: 'reference',
        collector: name,
      } satisfies PersonInput;
    }
  }
}

/**
 * A user owner read without a permission that reads users: Graph returns "only the @odata.type
 * property for the object type and the id ..., while other properties are indicated as null"
 * (https://learn.microsoft.com/graph/api/serviceprincipal-list-owners). Whether that user is
 * enabled is then unknown.
 */
function limitedUser(o: DirectoryObject): boolean {
  return (
    o['@odata.type'] === '#microsoft.graph.user' &&
    o.accountEnabled === null &&
    o.userPrincipalName === null &&
    o.displayName === null
  );
}

function ownerRef(o: DirectoryObject): PrincipalRef {
  const kind = o['@odata.type']?.replace('#microsoft.graph.', '') ?? null;
  return {
    id: o.id,
    name: o.userPrincipalName ?? o.displayName,
    type:
      kind === 'user'
        ? 'user'
        : kind === 'servicePrincipal'
          ? 'service'
          : kind === 'group'
            ? 'group'
            : 'unknown',
    active: o.accountEnabled,
  };
}

/**
 * Owners per service principal (keyed by SP object id): the SP's own owners plus, for the
 * tenant's own apps, the owners of the app registration, in `$batch`es of 20. Microsoft
 * first-party service principals are skipped: they are not held to ownership. Without the
 * application list (it could not be read), the owners of the tenant's own apps cannot be known in
 * full, so they are not looked up either: a service principal absent from the map has unknown
 * owners, never "none".
 */
async function readOwners(
  s: Session,
  run: Pick<CollectorRun, 'name' | 'ctx'>,
  sps: readonly ServicePrincipal[],
  applications: readonly Application[] | undefined,
  /** Owners read while the list was paged, on a full read (owners-early.ts). */
  early: EarlyOwnerReads | null = null,
  /** The previous snapshot's owners, read while the list was paged (previous-reads.ts). */
  previous?: PreviousReads,
): Promise<Map<string, PrincipalRef[]>> {
  const { name, ctx } = run;
  const spByAppId = new Map(sps.map((sp) => [sp.appId.toLowerCase(), sp]));
  const tenant = s.tenant.id.toLowerCase();
  const ownApp = (sp: ServicePrincipal) => sp.appOwnerOrganizationId?.toLowerCase() === tenant;
  const unknown = applications === undefined ? sps.filter(ownApp) : [];
  const wanted = sps.filter(
    (sp) =>
      originOf(sp, s.tenant.id, s.microsoft) !== 'platform' && (applications !== undefined || !ownApp(sp)),
  );
  const allHomeApps = (applications ?? []).filter((a) => spByAppId.has(a.appId.toLowerCase()));
  // On a rescan, the owners that cannot have changed are kept from the previous scan (owners-incremental.ts).
  const { carried } = await planOwnerReads(s, run, wanted, allHomeApps, sps, early?.latestLink, previous);
  const toRead = wanted.filter((sp) => !carried.has(sp.id.toLowerCase()));
  const homeApps = allHomeApps.filter(
    (a) => !carried.has(spByAppId.get(a.appId.toLowerCase())!.id.toLowerCase()),
  );
  const query = select(DIRECTORY_OBJECT_SELECT);
  const items = [
    ...toRead.map((sp) => ({
      key: `sp:${sp.id}`,
      url: `/servicePrincipals/${sp.id}/owners?${query}`,
      collection: true,
      schema: DirectoryObject,
    })),
    ...homeApps.map((a) => ({
      key: `app:${a.id}`,
      url: `/applications/${a.id}/owners?${query}`,
      collection: true,
      schema: DirectoryObject,
    })),
  ];
  const info = { api: 'GET /servicePrincipals/{id}/owners', requiredPermission: 'Application.Read.All' };
  // Those read while the list was paged are taken as if asked here (the first failure there fails
  // this collector); the rest (app registrations' owners) are read meanwhile.
  const [readEarly, readNow] = await Promise.allSettled([
    early ? early.answers() : new Map<string, BatchResult<DirectoryObject>>(),
    s.graph.batch(
      items.filter((i) => !early?.covers(i.key)),
      info,
    ),
  ]);
  if (readEarly.status === 'rejected') throw readEarly.reason;
  if (readNow.status === 'rejected') throw readNow.reason;
  const results = readNow.value;
  for (const i of items) {
    const r = readEarly.value.get(i.key);
    if (r) results.set(i.key, r);
  }
  // A 404 is not "no owners" (that would make the app ownerless): only a parent that is gone
  // (read by id, it answers 404 too) takes its owners with it.
  const notFound = items.filter((i) => results.get(i.key)?.status === 404).map((i) => i.key);
  const gone = await s.graph.gone(
    notFound.map((key) => {
      const [kind, id] = key.split(':') as ['sp' | 'app', string];
      return { key, url: `/${kind === 'sp' ? 'servicePrincipals' : 'applications'}/${id}?$select=id` };
    }),
    { ...info, api: 'GET /servicePrincipals/{id}' },
  );
  const present = notFound.filter((key) => !gone.has(key));
  if (present.length > 0)
    throw childListNotFound(
      info,
      present.map((k) => k.replace(/^(sp|app):/, '')),
      'owners',
    );

  const owners = new Map<string, PrincipalRef[]>();
  const add = (spId: string, refs: PrincipalRef[]) => {
    const list = owners.get(spId) ?? [];
    for (const r of refs) if (!list.some((x) => x.id === r.id)) list.push(r);
    owners.set(spId, list);
  };
  // Deleted while scanning: owners unknown (absent from the map), never "none".
  const deleted = new Set<string>();
  for (const sp of wanted) {
    const kept = carried.get(sp.id.toLowerCase());
    if (kept) owners.set(sp.id, kept);
  }
  for (const sp of toRead) {
    const r = results.get(`sp:${sp.id}`);
    if (r?.status === 200) add(sp.id, r.value.map(ownerRef));
    else deleted.add(sp.id);
  }
  for (const a of homeApps) {
    const r = results.get(`app:${a.id}`);
    const spId = spByAppId.get(a.appId.toLowerCase())!.id;
    if (r?.status === 200) add(spId, r.value.map(ownerRef));
    else deleted.add(spId);
  }
  for (const spId of deleted) owners.delete(spId);
  if (gone.size > 0) {
    ctx.coverage.note(
      name,
      `${gone.size} service principal(s) or app registration(s) deleted while scanning (owners unknown): ${[
        ...gone,
      ]
        .slice(0, 5)
        .map((k) => k.replace(/^(sp|app):/, ''))
        .join(', ')}`,
    );
  }
  const limited = [...results.values()].reduce(
    (n, r) => n + (r.status === 200 ? r.value.filter(limitedUser).length : 0),
    0,
  );
  if (limited > 0) {
    ctx.coverage.note(
      name,
      `${limited} user owner(s) came back with their id only (the scanner cannot read users): whether they are enabled is unknown, so their apps are not judged ownerless. Grant User.Read.All to tell.`,
    );
  }
  // Items are the person records the transform emits (user owners); the owners themselves go here.
  ctx.coverage.note(
    name,
    `${[...owners.values()].reduce((n, l) => n + l.length, 0)} owner(s); ${items.length} owner lookup(s) (${toRead.length} service principals, ${homeApps.length} app registrations) in ${Math.ceil(items.length / BATCH_SIZE)} $batch request(s); ${sps.length - wanted.length - unknown.length} Microsoft first-party service principal(s) skipped`,
  );
  if (applications === undefined) {
    ctx.coverage.note(
      name,
      `app registration owners not read: the application list failed; owners of ${unknown.length} service principal(s) of the tenant's own apps left unknown`,
    );
  }
  return owners;
}
