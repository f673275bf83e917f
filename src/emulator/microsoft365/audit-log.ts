import { createHash } from 'node:crypto';
import type { EmuRequest, EmuResponse } from '../router.js';
import type { Collection, M365Directory, OwnerRecord } from './directory.js';
import { listPage, type QuerySpec } from './odata.js';

/**
 * The directory audit log (`GET /auditLogs/directoryAudits`), for the owner activities only: the
 * emulator writes an entry for each owner added to or removed from a service principal or an
 * application when the world changes (`setWorld`), as Entra writes one when an admin does it.
 *
 * - Activities, category and service: "Add owner to service principal", "Remove owner from service
 *   principal", "Add owner to application", "Remove owner from application"; category
 *   ApplicationManagement, service Core Directory (Microsoft Entra audit log categories and activities,
 *   https://learn.microsoft.com/entra/identity/monitoring-health/reference-audit-activities).
 * - The shape: directoryAudit (https://learn.microsoft.com/graph/api/resources/directoryaudit), with
 *   targetResources naming the object (type `ServicePrincipal` / `Application`) and the owner.
 * - Query options: "This method supports the $filter (eq, ge, le, startswith), $top, $orderby, and
 *   skiptoken OData query parameters" (https://learn.microsoft.com/graph/api/directoryaudit-list); each
 *   property's operators are its description's (entity-properties.ts: activityDateTime "eq, ge, le",
 *   activityDisplayName "eq, startswith"; category has none, so filtering on it is refused). No maximum
 *   page size is documented.
 * - Newest first (the list's example and observed order).
 * - Retention: "Audit logs: 7 days" for Microsoft Entra ID Free, "30 days" for P1/P2
 *   (https://learn.microsoft.com/entra/identity/monitoring-health/reference-reports-data-retention):
 *   older entries are no longer served.
 * - Permissions: "AuditLog.Read.All and Directory.Read.All" (application; directoryaudit-list#permissions):
 *   both are needed.
 */
export const AUDIT_PERMISSIONS = ['AuditLog.Read.All', 'Directory.Read.All'] as const;

const DAY = 86_400_000;

export interface AuditRecord {
  id: string;
  category: string;
  correlationId: string;
  result: 'success';
  resultReason: string;
  activityDisplayName: string;
  activityDateTime: string;
  loggedByService: string;
  operationType: 'Assign' | 'Unassign';
  initiatedBy: { user: null; app: { appId: null; displayName: string; servicePrincipalId: null } };
  targetResources: Array<{
    id: string;
    displayName: string | null;
    type: string;
    userPrincipalName: string | null;
    groupType: null;
    modifiedProperties: [];
  }>;
  additionalDetails: [];
}

const existed = (dir: M365Directory, o: OwnerRecord) =>
  o.type === 'user'
    ? dir.users.get(o.user.id) !== undefined
    : dir.servicePrincipals.get(o.sp.id) !== undefined;

const ownerId = (o: OwnerRecord) => (o.type === 'user' ? o.user.id : o.sp.id).toLowerCase();

export class OwnerAuditLog {
  private last: M365Directory | undefined;
  private readonly entries: AuditRecord[] = [];

  constructor(private readonly now: () => number = Date.now) {}

  /** The entries of owner changes between the directory seen last and `dir` (none the first time). */
  observe(dir: M365Directory): void {
    if (dir === this.last) return;
    const before = this.last;
    this.last = dir;
    if (!before) return;
    const at = new Date(this.now()).toISOString();
    for (const [collection, ownersOf, kind, label] of [
      [
        dir.servicePrincipals as Collection<{ id: string; displayName: string }>,
        (d: M365Directory, id: string) => d.ownersOfServicePrincipal(id),
        'ServicePrincipal',
        'service principal',
      ],
      [
        dir.applications as Collection<{ id: string; displayName: string }>,
        (d: M365Directory, id: string) => d.ownersOfApplication(id),
        'Application',
        'application',
      ],
    ] as const) {
      for (let i = 0; i < collection.slots; i++) {
        const object = collection.at(i);
        if (!object) continue;
        const now = ownersOf(dir, object.id) ?? [];
        const then = ownersOf(before, object.id) ?? [];
        const thenIds = new Set(then.map(ownerId));
        const nowIds = new Set(now.map(ownerId));
        // An owner that leaves or comes back with its user (deleted, restored) is not an owner
        // activity: the log has "Delete user" / "Restore user" for it, users delta has the user.
        for (const o of now)
          if (!thenIds.has(ownerId(o)) && existed(before, o))
            this.add(at, `Add owner to ${label}`, 'Assign', object, kind, o);
        for (const o of then)
          if (!nowIds.has(ownerId(o)) && existed(dir, o))
            this.add(at, `Remove owner from ${label}`, 'Unassign', object, kind, o);
      }
    }
  }

  private add(
    at: string,
    activity: string,
    operationType: AuditRecord['operationType'],
    object: { id: string; displayName: string },
    kind: string,
    owner: OwnerRecord,
  ) {
    const id = createHash('sha256')
      .update(`${at}|${activity}|${object.id}|${ownerId(owner)}|${this.entries.length}`)
      .digest('hex');
    this.entries.push({
      id: `Directory_${id.slice(0, 8)}-${id.slice(8, 12)}-${id.slice(12, 16)}-${id.slice(16, 20)}-${id.slice(20, 32)}`,
      category: 'ApplicationManagement',
      correlationId: `${id.slice(32, 40)}-${id.slice(40, 44)}-4${id.slice(45, 48)}-8${id.slice(49, 52)}-${id.slice(52, 64)}`,
      result: 'success',
      resultReason: '',
      activityDisplayName: activity,
      activityDateTime: at,
      loggedByService: 'Core Directory',
      operationType,
      initiatedBy: {
        user: null,
        app: { appId: null, displayName: 'emulator world change', servicePrincipalId: null },
      },
      targetResources: [
        {
          id: object.id,
          displayName: object.displayName,
          type: kind,
          userPrincipalName: null,
          groupType: null,
          modifiedProperties: [],
        },
        owner.type === 'user'
          ? {
              id: owner.user.id,
              displayName: null,
              type: 'User',
              userPrincipalName: owner.user.userPrincipalName,
              groupType: null,
              modifiedProperties: [],
            }
          : {
              id: owner.sp.id,
              displayName: owner.sp.displayName,
              type: 'ServicePrincipal',
              userPrincipalName: null,
              groupType: null,
              modifiedProperties: [],
            },
      ],
      additionalDetails: [],
    });
  }

  /** The page of entries a request asks for, newest first, within the tenant's retention. */
  page(req: EmuRequest, premium: boolean): EmuResponse {
    const oldest = new Date(this.now() - (premium ? 30 : 7) * DAY).toISOString();
    const kept = this.entries.filter((e) => e.activityDateTime >= oldest).reverse();
    const spec: QuerySpec = {
      version: 'v1.0',
      entityType: 'directoryAudit',
      options: ['$filter', '$top', '$orderby'],
      // Audit records are not directory objects: the advanced-query rules do not apply.
      directoryObjects: false,
    };
    return listPage({
      req,
      spec,
      collection: { slots: kept.length, at: (slot) => kept[slot] },
      build: (e) => e as unknown as Record<string, unknown>,
      contextPath: 'auditLogs/directoryAudits',
    });
  }
}
