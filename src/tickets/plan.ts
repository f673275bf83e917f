import type { Finding } from '../findings/finding.js';
import { SEVERITY_ORDER, type Severity } from '../findings/severity.js';
import type { StoredTicket, TicketState } from '../store/store.js';
import type { TicketGrouping } from './config.js';
import type { RemoteTicketState, TicketContent, TicketDocument, TicketRef } from './sink.js';
import { changesDocument, highest, type TicketChanges, ticketContent } from './ticket-content.js';
import { contentHash, groupKey, itemOf, type TicketItem } from './ticket-item.js';

/**
 * The ticket lifecycle as a pure function: from the findings of the latest scan, the scan's coverage and
 * the stored tickets of one sink, the actions that bring the sink up to date. Nothing here calls a sink
 * or the store (src/tickets/sync.ts does), so every case is tested without I/O. See docs/tickets.md for
 * the lifecycle table.
 */

export interface PlanSink {
  name: string;
  group: TicketGrouping;
  minSeverity: Severity;
  rules?: readonly string[] | undefined;
}

export interface PlanScan {
  id: number;
  /** Per source (`platform:tenant`): whether the scan read all of it. Absent sources were not scanned. */
  sources: ReadonlyArray<{ source: string; status: 'complete' | 'incomplete' }>;
}

export interface PlanInput {
  sink: PlanSink;
  scan: PlanScan;
  /** The findings seen at the scan (open and excepted). */
  findings: readonly Finding[];
  /** The sink's stored tickets. */
  tickets: readonly StoredTicket[];
  /** What the sink said of the tickets `remoteChecks` named; a key absent is taken to be as stored. */
  remote?: ReadonlyMap<string, RemoteTicketState>;
  /** ISO time stamped on changed tickets. */
  now: string;
}

export type TicketActionKind = 'open' | 'comment' | 'close' | 'reopen' | 'record';

export interface TicketAction {
  key: string;
  /** `record` changes only our state (a ticket noticed closed or deleted by hand): no sink call. */
  kind: TicketActionKind;
  /** Why, in a few words, for the plan's table and the logs. */
  reason: string;
  /** The existing ticket (null for `open`). */
  ref: TicketRef | null;
  /** For `open`: the new ticket. */
  content?: TicketContent;
  /** For `comment`, `close`, `reopen`: what is said. */
  comment?: TicketDocument;
  /** The stored ticket after the action succeeds (`open` fills in the sink's id and url). */
  next: StoredTicket;
}

export interface TicketPlan {
  sink: string;
  scanId: number;
  actions: TicketAction[];
  /** Keys whose ticket needs nothing. */
  unchanged: number;
}

interface Desired {
  /** Open findings (and findings carried over from a scan that could not see them) by fingerprint. */
  open: Map<string, { item: TicketItem; finding: Finding | null }>;
  excepted: Map<string, Finding>;
}

/** States in which the lifecycle considers the ticket's findings open. */
export const LIVE_STATES: ReadonlySet<TicketState> = new Set(['open', 'closed-by-hand', 'deleted-by-hand']);

function inScope(f: Finding, sink: PlanSink): boolean {
  if (SEVERITY_ORDER[f.severity] < SEVERITY_ORDER[sink.minSeverity]) return false;
  return !sink.rules || sink.rules.includes(f.rule);
}

function desiredTickets(input: Omit<PlanInput, 'remote'>): Map<string, Desired> {
  const { sink, scan } = input;
  const complete = new Set(scan.sources.filter((s) => s.status === 'complete').map((s) => s.source));
  const desired = new Map<string, Desired>();
  const at = (key: string) => {
    const found = desired.get(key);
    if (found) return found;
    const d: Desired = { open: new Map(), excepted: new Map() };
    desired.set(key, d);
    return d;
  };
  const seen = new Set<string>();
  for (const f of input.findings) {
    seen.add(f.fingerprint);
    if (!inScope(f, sink)) continue;
    const d = at(groupKey(f, sink.group));
    if (f.excepted) d.excepted.set(f.fingerprint, f);
    else d.open.set(f.fingerprint, { item: itemOf(f), finding: f });
  }
  // A finding a scan did not see is gone only if the scan read its source completely; otherwise it
  // stays where it was (a failed collector never closes a ticket).
  for (const t of input.tickets) {
    // What the ticket covers: what a failed sync meant it to, else what it was last told.
    const covered = t.pending ?? (LIVE_STATES.has(t.state) ? t.items : null);
    if (!covered) continue;
    for (const [fp, item] of Object.entries(covered)) {
      if (seen.has(fp) || complete.has(item.source)) continue;
      const d = at(t.key);
      if (!d.open.has(fp)) d.open.set(fp, { item, finding: null });
    }
  }
  return desired;
}

/**
 * The tickets whose state on the sink the plan needs (for sinks that can tell): those it holds open or
 * closed by hand (a person may have closed, deleted or reopened them), and closed ones about to reopen.
 */
export function remoteChecks(input: Omit<PlanInput, 'remote'>): { key: string; ref: TicketRef }[] {
  const desired = desiredTickets(input);
  return input.tickets
    .filter(
      (t) =>
        t.remoteId !== null &&
        (t.state === 'open' ||
          t.state === 'closed-by-hand' ||
          ((t.state === 'closed' || t.state === 'excepted') && (desired.get(t.key)?.open.size ?? 0) > 0)),
    )
    .map((t) => ({ key: t.key, ref: { id: t.remoteId!, url: t.remoteUrl } }));
}

function changesBetween(before: Readonly<Record<string, TicketItem>>, d: Desired | undefined): TicketChanges {
  const changes: TicketChanges = { joined: [], changed: [], resolved: [], excepted: [] };
  const open = d?.open ?? new Map();
  for (const [fp, { item, finding }] of open) {
    const was = before[fp];
    if (!finding) continue;
    if (!was) changes.joined.push(finding);
    else if (was.hash !== item.hash) changes.changed.push({ now: finding, before: was });
  }
  for (const [fp, was] of Object.entries(before)) {
    if (open.has(fp)) continue;
    const exc = d?.excepted.get(fp);
    if (exc) changes.excepted.push(exc);
    else changes.resolved.push(was);
  }
  return changes;
}

function itemsOf(d: Desired): Record<string, TicketItem> {
  return Object.fromEntries(
    [...d.open].sort(([a], [b]) => a.localeCompare(b)).map(([fp, v]) => [fp, v.item]),
  );
}

export function buildPlan(input: PlanInput): TicketPlan {
  const { sink, scan, now } = input;
  const desired = desiredTickets(input);
  const rows = new Map(input.tickets.map((t) => [t.key, t]));
  const keys = [...new Set([...desired.keys(), ...rows.keys()])].sort();
  const actions: TicketAction[] = [];
  let unchanged = 0;

  for (const key of keys) {
    const d = desired.get(key);
    const wantOpen = (d?.open.size ?? 0) > 0;
    let row = rows.get(key);
    const remote = input.remote?.get(key);
    const changed = (patch: Partial<StoredTicket>): StoredTicket => ({
      ...row!,
      pending: null,
      ...patch,
      changedScan: scan.id,
      changedAt: now,
    });
    const live = () => {
      const items = itemsOf(d!);
      return {
        items,
        contentHash: contentHash(items),
        severity: highest(Object.values(items).map((i) => i.severity as Severity)),
      };
    };
    const newTicket = (reason: string) => {
      const content = ticketContent(key, sink.group, d!.open);
      actions.push({
        key,
        kind: 'open',
        reason,
        ref: null,
        content,
        next: {
          sink: sink.name,
          key,
          remoteId: null,
          remoteUrl: null,
          state: 'open',
          ...live(),
          pending: null,
          title: content.title,
          openedScan: scan.id,
          changedScan: scan.id,
          openedAt: now,
          changedAt: now,
        },
      });
    };
    const record = (reason: string, patch: Partial<StoredTicket>) =>
      actions.push({ key, kind: 'record', reason, ref: null, next: changed(patch) });

    if (!row) {
      if (wantOpen) newTicket('new finding');
      else unchanged += 1;
      continue;
    }
    const ref: TicketRef | null = row.remoteId ? { id: row.remoteId, url: row.remoteUrl } : null;

    // What a person did on the sink comes first.
    if (remote === 'missing' && LIVE_STATES.has(row.state) && row.state !== 'deleted-by-hand') {
      if (wantOpen)
        record('deleted by hand: not re-created while its findings stay open', {
          state: 'deleted-by-hand',
          remoteId: null,
          remoteUrl: null,
        });
      else
        record('deleted by hand; its findings are resolved', {
          state: 'closed',
          remoteId: null,
          remoteUrl: null,
        });
      continue;
    }
    if (remote === 'closed' && row.state === 'open') {
      if (wantOpen)
        record('closed by hand: left closed while its findings stay open', { state: 'closed-by-hand' });
      else record('closed by hand; its findings are resolved', { state: 'closed' });
      continue;
    }
    let adopted = false;
    if (remote === 'open' && row.state === 'closed-by-hand') {
      // Reopened by hand: the lifecycle takes it back.
      row = { ...row, state: 'open' };
      adopted = true;
    }

    switch (row.state) {
      case 'deleted-by-hand':
      case 'closed-by-hand':
        if (wantOpen) unchanged += 1;
        else
          record(
            `resolved while ${row.state === 'closed-by-hand' ? 'closed' : 'deleted'} by hand; a recurrence ${row.state === 'closed-by-hand' ? 'reopens it' : 'opens a new ticket'}`,
            {
              state: 'closed',
              ...(row.state === 'deleted-by-hand' ? { remoteId: null, remoteUrl: null } : {}),
            },
          );
        break;
      case 'open': {
        const changes = changesBetween(row.items, d);
        if (wantOpen) {
          const next = live();
          if (next.contentHash !== row.contentHash) {
            actions.push({
              key,
              kind: 'comment',
              reason: describe(changes),
              ref,
              comment: changesDocument('grantscope: the findings of this ticket changed.', changes),
              next: changed({ ...next, state: 'open' }),
            });
          } else if (adopted) record('reopened by hand: kept current again', { state: 'open' });
          else unchanged += 1;
        } else {
          const excepted = changes.excepted.length > 0 && changes.resolved.length === 0;
          actions.push({
            key,
            kind: 'close',
            reason: excepted ? 'accepted by exception' : 'resolved',
            ref,
            comment: changesDocument(
              excepted
                ? 'grantscope: closed, the findings are accepted by an exception (reopened if it expires).'
                : 'grantscope: closed, a complete scan no longer finds this.',
              changes,
            ),
            next: changed({ state: excepted ? 'excepted' : 'closed' }),
          });
        }
        break;
      }
      case 'closed':
      case 'excepted': {
        if (!wantOpen) {
          unchanged += 1;
          break;
        }
        if (!ref || remote === 'missing') {
          newTicket(
            row.pending && !row.remoteId && Object.keys(row.items).length === 0
              ? 'new finding (the sink failed last time)'
              : 'back; its old ticket was deleted',
          );
          break;
        }
        const changes = changesBetween({}, d);
        const doc = changesDocument(
          row.state === 'excepted'
            ? 'grantscope: reopened, the exception no longer applies.'
            : 'grantscope: reopened, the finding is back.',
          changes,
        );
        actions.push({
          key,
          // Reopened by hand already: only say why it matters again.
          kind: remote === 'open' ? 'comment' : 'reopen',
          reason: row.state === 'excepted' ? 'exception no longer applies' : 'finding back',
          ref,
          comment: doc,
          next: changed({ ...live(), state: 'open' }),
        });
        break;
      }
    }
  }
  return { sink: sink.name, scanId: scan.id, actions, unchanged };
}

function describe(c: TicketChanges): string {
  const parts: string[] = [];
  const sev = c.changed.filter((x) => x.before.severity !== x.now.severity);
  if (sev.length) parts.push(sev.map((x) => `severity ${x.before.severity}→${x.now.severity}`).join(', '));
  if (c.changed.length > sev.length) parts.push('evidence changed');
  if (c.joined.length) parts.push(`${c.joined.length} joined`);
  if (c.resolved.length) parts.push(`${c.resolved.length} resolved`);
  if (c.excepted.length) parts.push(`${c.excepted.length} excepted`);
  return parts.join('; ') || 'changed';
}
