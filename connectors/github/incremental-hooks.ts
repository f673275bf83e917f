import { z } from 'zod';
import type { CollectorRun } from '../../src/connector/collector.js';
import type { ConnectorContext } from '../../src/connector/context.js';
import { ApiError, describeError } from '../../src/errors.js';
import { AuditLogEvent, type Hook, Hook as HookSchema, type MinimalRepository } from './schema.js';
import type { GithubSession } from './session.js';

/**
 * Repository webhooks read incrementally, from the organisation audit log (GitHub Enterprise Cloud and Server)
 * (`GET /orgs/{org}/audit-log`, orgs/get-audit-log): GitHub has no bulk view of webhooks, so a full
 * read is one request per repository, and an unchanged org answers 304 to each but still waits for
 * every one. The audit log names each repository whose webhooks were created, changed or deleted
 * (the `hook` category: `hook.create`, `hook.config_changed`, `hook.events_changed`,
 * `hook.active_changed`, `hook.destroy`; "Audit log events for your organization"). Only those, and
 * repositories the previous read did not list, are read again; every other repository's webhooks are
 * those of the previous scan.
 *
 * What is kept between scans (connector state, plain text, no secret): the newest hook event seen,
 * when the last full read was, the ids of the repositories read, and the names of those with webhooks.
 */
export const HOOKS_READ = 'repo-webhooks.read';
const COLLECTOR = 'repo-webhooks';

/**
 * Every incremental read searches the log from the newest hook event at the last full read (the
 * marker), not from its own newest event: a change made after the full read read a repository's
 * webhooks is dated after the marker, so its event is found by the first scan after it reaches the
 * log, however late it does (GitHub documents no lag for the audit log). A change made before was seen
 * by the full read itself. The search starts an hour before the marker in case events are not dated
 * in the order they were logged.
 */
export const LAG_OVERLAP_MS = 60 * 60_000;

/**
 * A change the log does not record (a delivery's `last_response`) or an event that never reached it
 * would stay unseen by incremental reads: every repository is read again at least this often, the
 * period of the other incremental reads (Graph delta links, the Workspace token log).
 */
export const MAX_INCREMENTAL_AGE_MS = 7 * 86_400_000;

const Marker = z.object({ ts: z.number().int(), id: z.string() });
const Stored = z.object({
  /** When the last full read began (scanner clock). */
  fullAt: z.string(),
  /** Whether the audit log could be read then. */
  auditLog: z.boolean(),
  /** The newest hook event when this read began; null when the log held none. */
  marker: Marker.nullable(),
  /** Ids of the repositories whose webhooks were read (sorted, base-36 differences). */
  repos: z.string(),
  /** id → full name of the repositories that had webhooks. */
  hooked: z.record(z.string(), z.string()),
});
type Stored = z.infer<typeof Stored>;
type Marker = z.infer<typeof Marker>;

/** Sorted ids as base-36 differences: ~6 characters per repository. */
export function encodeIds(ids: Iterable<number>): string {
  const sorted = [...new Set(ids)].sort((a, b) => a - b);
  let last = 0;
  return sorted
    .map((id) => {
      const d = id - last;
      last = id;
      return d.toString(36);
    })
    .join(',');
}

export function decodeIds(text: string): Set<number> {
  const out = new Set<number>();
  let last = 0;
  for (const part of text.split(',')) {
    if (!part) continue;
    last += Number.parseInt(part, 36);
    out.add(last);
  }
  return out;
}

/** What this read of the webhooks is: which repositories are listed, and the others' webhooks. */
export interface HooksPlan {
  /** Null: read every repository (with the reason, for coverage). */
  incremental: {
    /** Repositories whose webhooks are listed again. */
    relist: Set<number>;
    /** The previous scan's webhooks of every other repository (by id; absent: none). */
    kept: Map<number, Hook[]>;
  } | null;
  /** The newest hook event to keep for the next scan (read before any webhook). */
  marker: Marker | null;
  /** False when the audit log cannot be read (no such API on the plan, no permission). */
  auditLog: boolean;
  /** When the full read this one continues began. */
  fullAt: string;
}

type LogRead = { events: z.infer<typeof AuditLogEvent>[] } | { refused: unknown };

/** The org's hook events, oldest first, since `from` (or the newest one only). */
async function readHookEvents(session: GithubSession, from: number | null): Promise<LogRead> {
  const { client, config } = session;
  const events: z.infer<typeof AuditLogEvent>[] = [];
  try {
    if (from === null) {
      // The newest hook event only (the log lists newest first by default).
      const newest = await client.get(
        'GET /orgs/{org}/audit-log',
        { org: config.org, phrase: 'action:hook', per_page: 1 },
        z.array(AuditLogEvent),
      );
      return { events: newest };
    }
    const since = new Date(from).toISOString().replace(/\.\d{3}Z$/, 'Z');
    for await (const e of client.list(
      'GET /orgs/{org}/audit-log',
      { org: config.org, phrase: `action:hook created:>=${since}`, order: 'asc' },
      AuditLogEvent,
    )) {
      events.push(e);
    }
    return { events };
  } catch (err) {
    // 404: no audit log API (github.com Free and Team); 403: the app lacks Organization administration (read).
    if (err instanceof ApiError && (err.status === 404 || err.status === 403)) return { refused: err };
    throw err;
  }
}

/** The marker: the newest hook event (the first of the newest-first read), or null when the log has none. */
const markerOf = (events: readonly z.infer<typeof AuditLogEvent>[]): Marker | null =>
  events[0] ? { ts: events[0]['@timestamp'], id: events[0]._document_id } : null;

/**
 * Each repository's webhooks as the previous snapshot stored them (repository full name, lower case →
 * webhooks). Null when one cannot be read back as GitHub's webhook object.
 */
async function previousHooks(ctx: ConnectorContext): Promise<Map<string, Hook[]> | null> {
  const out = new Map<string, Hook[]>();
  for await (const b of ctx.previous.bundles({ collectors: [COLLECTOR], types: ['identity'] })) {
    const identity = b.identity;
    if (!identity) continue;
    const at = identity.nativeId.lastIndexOf('#');
    const attributes = (identity.attributes ?? {}) as { hasSecret?: unknown };
    const raw = identity.raw as { config?: Record<string, unknown> } | null;
    if (at < 0 || !raw || typeof raw !== 'object') return null;
    // The stored object left the secret out (GitHub shows it masked: "********"); put the mask back.
    const config = { ...raw.config, ...(attributes.hasSecret === true ? { secret: '********' } : {}) };
    const hook = HookSchema.safeParse({ ...raw, config });
    if (!hook.success) return null;
    const repo = identity.nativeId.slice(0, at).toLowerCase();
    const list = out.get(repo) ?? [];
    list.push(hook.data);
    out.set(repo, list);
  }
  return out;
}

/** What the kept state allows: an incremental read from `previous`, or a full one (`why`, for coverage). */
type Decision =
  | { previous: Stored; why: null; askLog: true }
  | { previous: null; why: string | null; askLog: boolean };

function decide(ctx: ConnectorContext): Decision {
  const state = ctx.state;
  if (!state) return { previous: null, why: 'no store behind the scan', askLog: false };
  if (state.fullResync) return { previous: null, why: '--full', askLog: true };
  const stored = state.get(HOOKS_READ);
  if (!stored) return { previous: null, why: null, askLog: true };
  if (stored.scanId !== ctx.previous.scanId) {
    const why = `the last read is from scan #${stored.scanId}, not the previous scan #${ctx.previous.scanId}`;
    return { previous: null, why, askLog: true };
  }
  const parsed = Stored.safeParse(safeJson(stored.value));
  if (!parsed.success) return { previous: null, why: 'the kept read state cannot be read', askLog: true };
  const age = ctx.clock.now().getTime() - Date.parse(parsed.data.fullAt);
  if (!(age <= MAX_INCREMENTAL_AGE_MS)) {
    const why = `the last full read (${parsed.data.fullAt}) is more than 7 days old`;
    return { previous: null, why, askLog: true };
  }
  // The log could not be read at the last full read (no such API, no permission): asked again at the next.
  if (!parsed.data.auditLog) return { previous: null, why: null, askLog: false };
  return { previous: parsed.data, why: null, askLog: true };
}

interface EarlyRead {
  decision: Decision;
  /** The audit log's answer, asked for as soon as the session is open; null when not asked. */
  events: Promise<LogRead> | null;
  /** The previous scan's webhooks, read meanwhile (incremental reads only). */
  before: Promise<Map<string, Hook[]> | null> | null;
}

const early = new WeakMap<GithubSession, EarlyRead>();

function begin(session: GithubSession, ctx: ConnectorContext): EarlyRead {
  const decision = decide(ctx);
  const from = decision.previous?.marker ? decision.previous.marker.ts - LAG_OVERLAP_MS : 0;
  const events = decision.askLog ? readHookEvents(session, decision.previous ? from : null) : null;
  const before = decision.previous ? previousHooks(ctx) : null;
  // Awaited by the collector; a scan that never runs it must not see an unhandled rejection.
  events?.catch(() => {});
  before?.catch(() => {});
  return { decision, events, before };
}

/**
 * Ask the audit log (and read the previous webhooks) as soon as the session is open, while the other
 * collectors run: the webhook collector runs last and would otherwise wait for these round trips.
 * Still before any webhook is read, which is what the marker needs.
 */
export function startHooksRead(session: GithubSession, ctx: ConnectorContext): void {
  early.set(session, begin(session, ctx));
}

/**
 * Decide how this scan reads repository webhooks. Before any webhook is read, the audit log is asked
 * for the newest hook event (a full read) or for every hook event since the last read (an incremental
 * one), so that a change made while webhooks are being read is in the next scan's search.
 */
export async function planHooks(
  session: GithubSession,
  run: CollectorRun,
  repos: readonly MinimalRepository[],
): Promise<HooksPlan> {
  const { ctx, name } = run;
  const now = ctx.clock.now().toISOString();
  const pre = early.get(session) ?? begin(session, ctx);
  early.delete(session);
  const { decision } = pre;
  const fullRead = async (why: string | null): Promise<HooksPlan> => {
    if (why) ctx.coverage.note(name, `full read of repository webhooks: ${why}`);
    if (!ctx.state) return { incremental: null, marker: null, auditLog: false, fullAt: now };
    const read = decision.previous
      ? await readHookEvents(session, null) // the incremental read's answer cannot serve as a marker
      : await (pre.events ?? Promise.resolve(null));
    if (read === null) return { incremental: null, marker: null, auditLog: false, fullAt: now };
    if ('refused' in read) {
      ctx.coverage.note(
        name,
        `the audit log cannot be read (${describeError(read.refused)}): each scan lists every repository's webhooks`,
      );
      return { incremental: null, marker: null, auditLog: false, fullAt: now };
    }
    return { incremental: null, marker: markerOf(read.events), auditLog: true, fullAt: now };
  };
  const previous = decision.previous;
  if (!previous) return fullRead(decision.why);

  const from = previous.marker ? previous.marker.ts - LAG_OVERLAP_MS : 0;
  const [read, before] = await Promise.all([pre.events!, pre.before!]);
  if ('refused' in read) {
    ctx.coverage.note(
      name,
      `full read of repository webhooks: the audit log cannot be read (${describeError(read.refused)})`,
    );
    return { incremental: null, marker: null, auditLog: false, fullAt: now };
  }
  if (before === null) return fullRead('the previous webhooks cannot be read back from the store');

  const named = new Set(read.events.flatMap((e) => (e.repo ? [e.repo.toLowerCase()] : [])));
  const readBefore = decodeIds(previous.repos);
  const relist = new Set<number>();
  const kept = new Map<number, Hook[]>();
  for (const repo of repos) {
    const fullName = repo.full_name.toLowerCase();
    const hookedAs = previous.hooked[String(repo.id)];
    const hooks = hookedAs === undefined ? [] : before.get(hookedAs.toLowerCase());
    if (
      !readBefore.has(repo.id) || // new to the list (created, transferred in, newly accessible)
      named.has(fullName) || // a hook event names it
      (hookedAs !== undefined && hookedAs.toLowerCase() !== fullName) || // renamed, with webhooks
      hooks === undefined // its webhooks are not in the previous snapshot
    ) {
      relist.add(repo.id);
    } else if (hooks.length > 0) kept.set(repo.id, hooks);
  }
  const since = ctx.previous.scanId!;
  ctx.coverage.note(
    name,
    `incremental: webhooks listed for ${relist.size} of ${repos.length} repositories (new, or named by ${read.events.length} hook event(s) in the audit log ${previous.marker ? `since ${new Date(from).toISOString()}` : 'in the six months it keeps'}); the others' are those of scan #${since}`,
  );
  return {
    incremental: { relist, kept },
    // The search keeps starting from the full read's marker: an event that reaches the log late, however
    // late within the period, is still found by the next scan after it appears.
    marker: previous.marker,
    auditLog: true,
    fullAt: previous.fullAt,
  };
}

/**
 * Keep what the next scan needs. Without the audit log, only that it could not be read: the scans of
 * the next 7 days do not ask again.
 */
export function keepHooksRead(
  run: CollectorRun,
  plan: HooksPlan,
  read: readonly MinimalRepository[],
  withHooks: readonly MinimalRepository[],
): void {
  const value: Stored = {
    fullAt: plan.fullAt,
    auditLog: plan.auditLog,
    marker: plan.marker,
    repos: encodeIds(read.map((r) => r.id)),
    hooked: Object.fromEntries(withHooks.map((r) => [String(r.id), r.full_name])),
  };
  run.ctx.state?.set(HOOKS_READ, JSON.stringify(value));
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}
