import { type Activity, parameterValues } from './schema.js';

/**
 * No Google API lists domain-wide delegations (they exist only in the Admin console), so they are rebuilt by
 * replaying the Admin audit events AUTHORIZE_API_CLIENT_ACCESS / REMOVE_API_CLIENT_ACCESS of the window,
 * oldest first: an authorize sets the client's scopes (a later one replaces them), a remove ends it.
 *
 * The log reaches back about six months, so a delegation authorized once and never changed drops out of
 * the window although it is still in force. The replay therefore starts from the delegations of the
 * previous snapshot (previous-scan.ts): one with no event in this window is carried over as it was
 * (nothing says it was removed), one removed in the window ends, one re-authorized takes the fresh data.
 *
 * Pure: the collector (collectors/domain-wide-delegation.ts) reads the events and the previous snapshot.
 */

export const AUTHORIZE = 'AUTHORIZE_API_CLIENT_ACCESS';
export const REMOVE = 'REMOVE_API_CLIENT_ACCESS';

export interface DelegationChange {
  at: string;
  action: 'authorize' | 'remove';
  by: { email: string | null; id: string | null };
  scopes: string[];
}

/** A change as read from one audit event, with what identifies the event (the two listings may overlap). */
export interface AuditedChange extends DelegationChange {
  clientId: string;
  /** Event time, unique qualifier, name and client: the same event read twice has the same one. */
  eventKey: string;
}

/** A client id that holds domain-wide delegation at the end of the replay. */
export interface Delegation {
  clientId: string;
  scopes: string[];
  /** The authorization in force (the latest `AUTHORIZE_API_CLIENT_ACCESS`). */
  authorizedAt: string;
  authorizedBy: { email: string | null; id: string | null };
  /** First authorization since the client was last removed (or since the audit log was first read). */
  since: string;
  /** Changes seen in this window, after those earlier scans saw that have aged out of it. */
  history: DelegationChange[];
  /** Set when this window has no event of it: carried over from the previous snapshot. */
  carried: CarriedFrom | null;
}

/** Where a carried delegation was last seen in the audit log. Fixed once set, so carried records stay equal. */
export interface CarriedFrom {
  /** The last scan whose window still held its authorize event. */
  scanId: number | null;
  /** When that scan ran. */
  lastSeenInAuditLog: string | null;
}

export interface DelegationState {
  /** In force at the end of the replay: seen in this window, or carried over from the previous snapshot. */
  active: Map<string, Delegation>;
  removed: Array<{ clientId: string; at: string }>;
  /** Distinct audit events replayed. */
  events: number;
}

/** API_SCOPES arrives as a multiValue, or as one comma/space separated string. */
function scopesOf(params: Parameters<typeof parameterValues>[0]): string[] {
  return parameterValues(params, 'API_SCOPES')
    .flatMap((v) => v.split(/[,\s]+/))
    .filter(Boolean);
}

/** The delegation changes one Admin audit activity records (other events of the activity are ignored). */
export function changesIn(a: Activity): AuditedChange[] {
  const out: AuditedChange[] = [];
  for (const e of a.events ?? []) {
    if (e.name !== AUTHORIZE && e.name !== REMOVE) continue;
    const clientId = parameterValues(e.parameters, 'API_CLIENT_NAME')[0];
    if (!clientId) continue;
    out.push({
      clientId,
      eventKey: `${a.id.time}|${a.id.uniqueQualifier ?? ''}|${e.name}|${clientId}`,
      at: a.id.time,
      action: e.name === AUTHORIZE ? 'authorize' : 'remove',
      by: { email: a.actor?.email ?? null, id: a.actor?.profileId ?? null },
      scopes: e.name === AUTHORIZE ? scopesOf(e.parameters) : [],
    });
  }
  return out;
}

/**
 * Replay the window's changes, oldest first and each event once, on top of the delegations `earlier`
 * scans left (the previous snapshot's, each marked as carried). The window's events win wherever they
 * say something; history keeps what earlier scans saw before the window, then this window's events.
 */
export function replayDelegations(
  earlier: ReadonlyMap<string, Delegation>,
  changes: readonly AuditedChange[],
  windowStart: Date,
): DelegationState {
  const distinct = [...new Map(changes.map((c) => [c.eventKey, c])).values()];
  distinct.sort((x, y) => (x.at < y.at ? -1 : x.at > y.at ? 1 : x.eventKey.localeCompare(y.eventKey)));
  const active = new Map(earlier);
  const history = new Map<string, DelegationChange[]>(
    [...earlier.values()].map((d) => [
      d.clientId,
      d.history.filter((h) => Date.parse(h.at) < windowStart.getTime()),
    ]),
  );
  const removed: Array<{ clientId: string; at: string }> = [];
  for (const { clientId, eventKey: _key, ...change } of distinct) {
    const h = history.get(clientId) ?? [];
    h.push(change);
    history.set(clientId, h);
    if (change.action === 'authorize') {
      const prev = active.get(clientId);
      active.set(clientId, {
        clientId,
        scopes: [...new Set(change.scopes)],
        authorizedAt: change.at,
        authorizedBy: change.by,
        since: prev?.since ?? change.at,
        history: h,
        carried: null,
      });
    } else {
      active.delete(clientId);
      removed.push({ clientId, at: change.at });
    }
  }
  return { active, removed, events: distinct.length };
}
