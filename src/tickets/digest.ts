import type { Finding } from '../findings/finding.js';
import { SEVERITY_ORDER, type Severity } from '../findings/severity.js';
import type { StoredTicket, TicketItem } from '../store/store.js';
import { LIVE_STATES, type TicketPlan } from './plan.js';
import type { DigestEntry, SyncDigest } from './sink.js';

/**
 * The digest of a sync, from its plan: per finding, what the plan changes between the ticket as stored
 * and the ticket as it will be. A finding in an open ticket after the sync but not before is new (or
 * back, when its ticket is reopened or it had been covered before); one covered before but not after
 * is resolved, or accepted when the scan shows it excepted. A pure function, tested without I/O.
 */
export function buildDigest(
  plan: TicketPlan,
  tickets: readonly StoredTicket[],
  findings: readonly Pick<Finding, 'fingerprint' | 'excepted'>[],
): SyncDigest {
  const before = new Map(tickets.map((t) => [t.key, t]));
  const excepted = new Set(findings.filter((f) => f.excepted).map((f) => f.fingerprint));
  const digest: SyncDigest = {
    sink: plan.sink,
    scanId: plan.scanId,
    opened: [],
    reopened: [],
    changed: [],
    resolved: [],
    excepted: [],
    open: 0,
  };
  const acted = new Set<string>();
  for (const action of plan.actions) {
    acted.add(action.key);
    const prev = before.get(action.key);
    const was = prev && LIVE_STATES.has(prev.state) ? prev.items : {};
    const now = action.next.state === 'open' ? action.next.items : {};
    digest.open += Object.keys(now).length;
    for (const [fp, item] of Object.entries(now)) {
      const old = was[fp];
      if (!old) {
        const back = action.kind === 'reopen' || (prev !== undefined && fp in prev.items);
        (back ? digest.reopened : digest.opened).push(entry(fp, item));
      } else if (old.hash !== item.hash) {
        digest.changed.push({
          ...entry(fp, item),
          ...(old.severity !== item.severity ? { previousSeverity: old.severity as Severity } : {}),
        });
      }
    }
    for (const [fp, item] of Object.entries(was)) {
      if (fp in now) continue;
      (excepted.has(fp) ? digest.excepted : digest.resolved).push(entry(fp, item));
    }
  }
  // Tickets the plan leaves alone still count as open.
  for (const t of tickets) {
    if (!acted.has(t.key) && t.state === 'open') digest.open += Object.keys(t.items).length;
  }
  for (const list of [digest.opened, digest.reopened, digest.changed, digest.resolved, digest.excepted]) {
    list.sort(bySeverity);
  }
  return digest;
}

/** Whether a digest has anything to say: an unchanged sync posts nothing. */
export function digestIsEmpty(d: SyncDigest): boolean {
  return d.opened.length + d.reopened.length + d.changed.length + d.resolved.length + d.excepted.length === 0;
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** One line of the digest's counts: "3 new, 2 resolved, 14 open". */
export function digestSummary(d: SyncDigest): string {
  const parts = [
    d.opened.length > 0 ? `${d.opened.length} new` : '',
    d.reopened.length > 0 ? `${d.reopened.length} back` : '',
    d.changed.length > 0 ? `${d.changed.length} changed` : '',
    d.resolved.length > 0 ? `${d.resolved.length} resolved` : '',
    d.excepted.length > 0 ? `${d.excepted.length} accepted by exception` : '',
  ].filter(Boolean);
  return `${parts.join(', ')}; ${plural(d.open, 'finding')} open`;
}

function entry(fingerprint: string, item: TicketItem): DigestEntry {
  return { fingerprint, title: item.title, severity: item.severity as Severity };
}

function bySeverity(a: DigestEntry, b: DigestEntry): number {
  return (
    SEVERITY_ORDER[b.severity] - SEVERITY_ORDER[a.severity] ||
    a.title.localeCompare(b.title) ||
    a.fingerprint.localeCompare(b.fingerprint)
  );
}
