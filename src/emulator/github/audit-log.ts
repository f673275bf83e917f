import { createHash } from 'node:crypto';
import type { EmuRequest, EmuResponse } from '../router.js';
import { error } from './api.js';
import { type GithubState, iterate } from './state.js';
import type { Hook, Repo } from './world.js';

/**
 * The organisation audit log of GitHub Enterprise Cloud (`GET /orgs/{org}/audit-log`, operationId
 * orgs/get-audit-log, `githubCloudOnly` in @octokit/openapi ghec.json), as far as the scanner reads it:
 * webhook and repository events. Fields are those of the `audit-log-event` schema (ghec.json):
 * `@timestamp` and `created_at` in Unix milliseconds, `_document_id`, `action`, `actor`, `org`, `repo`,
 * `hook_id`.
 *
 * Where the events come from:
 * - the world itself: a `hook.create` at each webhook's `created_at`, a `hook.config_changed` at its
 *   `updated_at` when later, a `repo.create` at each repository's `created_at`;
 * - world switches (`setWorld`): what changed between the two worlds' webhooks, stamped at the switch,
 *   with the actions of GitHub's "Audit log events for your organization" page (hook category:
 *   `create`, `destroy`, `config_changed`, `events_changed`, `active_changed`). A change GitHub does not
 *   log (a delivery's `last_response`) leaves no event, as on GitHub.
 */
export interface AuditEvent {
  '@timestamp': number;
  _document_id: string;
  action: string;
  actor: string;
  org: string;
  created_at: number;
  repo?: string;
  hook_id?: number;
}

/** "By default, the response includes up to 30 events from the past three months" (orgs/get-audit-log). */
const DEFAULT_WINDOW_MS = 90 * 86_400_000;
/**
 * "The audit log lists events triggered by activities that affect your organization within the current
 * month and previous six months" (Reviewing the audit log for your organization): older events are gone.
 */
const RETENTION_MS = 180 * 86_400_000;
export const AUDIT_LOG_DOCS =
  'https://docs.github.com/enterprise-cloud@latest/rest/orgs/orgs#get-the-audit-log-for-an-organization';

function documentId(parts: Array<string | number>): string {
  return createHash('sha256').update(parts.join('\0')).digest('base64url').slice(0, 22);
}

function event(
  state: GithubState,
  action: string,
  at: number,
  where: { repo?: Repo; hook?: Hook },
  salt: string,
): AuditEvent {
  const e: AuditEvent = {
    '@timestamp': at,
    _document_id: documentId([action, at, where.repo?.name ?? '', where.hook?.id ?? '', salt]),
    action,
    actor: state.org.login,
    org: state.org.login,
    created_at: at,
  };
  if (where.repo) e.repo = `${state.org.login}/${where.repo.name}`;
  if (where.hook) e.hook_id = where.hook.id;
  return e;
}

/** Events the world's own dates imply (see above). */
export function worldAuditEvents(state: GithubState): AuditEvent[] {
  const out: AuditEvent[] = [];
  const hookEvents = (hook: Hook, repo?: Repo) => {
    const created = Date.parse(hook.created_at);
    out.push(event(state, 'hook.create', created, { repo, hook }, 'world'));
    const updated = hook.updated_at ? Date.parse(hook.updated_at) : Number.NaN;
    if (updated > created) out.push(event(state, 'hook.config_changed', updated, { repo, hook }, 'world'));
  };
  for (const hook of iterate(state.orgHooks)) hookEvents(hook);
  for (const repo of iterate(state.repos)) {
    out.push(event(state, 'repo.create', Date.parse(repo.created_at), { repo }, 'world'));
    for (const hook of repo.hooks) hookEvents(hook, repo);
  }
  return out;
}

/**
 * What changed in one webhook, as the hook category's actions name it: `config_changed` and
 * `events_changed` are on GitHub's audited-actions pages; `active_changed` is named after the
 * `active`/`active_was` fields of the `audit-log-event` schema (ghec.json), which no page we hold names.
 * The scanner reads every `hook` event alike, so the name does not change what it does.
 */
function hookChanges(before: Hook, after: Hook): string[] {
  const actions: string[] = [];
  const config = (h: Hook) => [h.url, h.content_type, h.insecure_ssl, h.secret].join('\0');
  if (config(before) !== config(after)) actions.push('hook.config_changed');
  if ([...before.events].sort().join() !== [...after.events].sort().join())
    actions.push('hook.events_changed');
  if (before.active !== after.active) actions.push('hook.active_changed');
  return actions;
}

/** The webhook events a switch from `before` to `after` logs, stamped `at`. */
export function switchAuditEvents(before: GithubState, after: GithubState, at: number): AuditEvent[] {
  const out: AuditEvent[] = [];
  const compare = (was: readonly Hook[], now: readonly Hook[], repo: Repo | undefined, salt: string) => {
    const old = new Map(was.map((h) => [h.id, h]));
    for (const hook of now) {
      const prior = old.get(hook.id);
      old.delete(hook.id);
      const actions = prior ? hookChanges(prior, hook) : ['hook.create'];
      for (const action of actions) out.push(event(after, action, at, { repo, hook }, salt));
    }
    for (const gone of old.values()) out.push(event(after, 'hook.destroy', at, { repo, hook: gone }, salt));
  };
  const salt = `switch:${at}`;
  compare([...iterate(before.orgHooks)], [...iterate(after.orgHooks)], undefined, salt);
  const beforeRepos = new Map([...iterate(before.repos)].map((r) => [r.name.toLowerCase(), r]));
  for (const repo of iterate(after.repos)) {
    const prior = beforeRepos.get(repo.name.toLowerCase());
    beforeRepos.delete(repo.name.toLowerCase());
    if (!prior) out.push(event(after, 'repo.create', at, { repo }, salt));
    compare(prior?.hooks ?? [], repo.hooks, repo, salt);
  }
  for (const gone of beforeRepos.values()) out.push(event(after, 'repo.destroy', at, { repo: gone }, salt));
  return out;
}

function sortEvents(events: AuditEvent[]): AuditEvent[] {
  return events.sort(
    (a, b) =>
      a['@timestamp'] - b['@timestamp'] ||
      (a._document_id < b._document_id ? -1 : a._document_id > b._document_id ? 1 : 0),
  );
}

/**
 * An organisation's audit log across world switches: the first world's own events, then each switch's.
 * Built when first read (a generated world's repositories are made on demand).
 */
export class AuditLog {
  private events: AuditEvent[] | null = null;

  private constructor(private build: (() => AuditEvent[]) | null) {}

  /** The log of a world served first. */
  static of(state: () => GithubState): AuditLog {
    return new AuditLog(() => sortEvents(worldAuditEvents(state())));
  }

  /** The log after switching from `before` (whose log is `previous`) to `after`. */
  static afterSwitch(previous: AuditLog, before: GithubState, after: () => GithubState): AuditLog {
    return new AuditLog(() => {
      const earlier = previous.all();
      const last = earlier.at(-1)?.['@timestamp'] ?? 0;
      // Stamped at the emulator's clock, and after every earlier event (its clock is fixed).
      const at = Math.max(after().now.getTime(), last + 1000);
      return sortEvents([...earlier, ...switchAuditEvents(before, after(), at)]);
    });
  }

  /** Every event, oldest first. */
  all(): AuditEvent[] {
    if (this.events === null) {
      this.events = this.build!();
      this.build = null;
    }
    return this.events;
  }
}

/** One search qualifier of `phrase` ("Searching the audit log" on "Reviewing the audit log for your organization"). */
type Qualifier = (e: AuditEvent) => boolean;

function createdQualifier(value: string): Qualifier | null {
  const time = (s: string) => {
    const ms = Date.parse(s);
    return Number.isFinite(ms) ? ms : null;
  };
  const range = /^(.+)\.\.(.+)$/.exec(value);
  if (range) {
    const [from, to] = [time(range[1]!), time(range[2]!)];
    return from === null || to === null ? null : (e) => e.created_at >= from && e.created_at <= to;
  }
  const cmp = /^(>=|<=|>|<)?(.+)$/.exec(value)!;
  const at = time(cmp[2]!);
  if (at === null) return null;
  switch (cmp[1]) {
    case '>=':
      return (e) => e.created_at >= at;
    case '>':
      return (e) => e.created_at > at;
    case '<=':
      return (e) => e.created_at <= at;
    case '<':
      return (e) => e.created_at < at;
    default: {
      // A bare date matches that day.
      const day = /^\d{4}-\d{2}-\d{2}$/.test(cmp[2]!) ? 86_400_000 : 1000;
      return (e) => e.created_at >= at && e.created_at < at + day;
    }
  }
}

/** The qualifiers of `phrase`, or the one that cannot be read. */
function parsePhrase(phrase: string): { qualifiers: Qualifier[]; created: boolean } | { bad: string } {
  const qualifiers: Qualifier[] = [];
  let created = false;
  for (const term of phrase.split(/\s+/).filter(Boolean)) {
    const m = /^(-?)(action|actor|repo|created):(.+)$/.exec(term);
    if (!m) return { bad: term };
    const [, negate, key, value] = m as unknown as [string, string, string, string];
    let q: Qualifier | null;
    if (key === 'action') q = (e) => e.action === value || e.action.startsWith(`${value}.`);
    else if (key === 'actor') q = (e) => e.actor.toLowerCase() === value.toLowerCase();
    else if (key === 'repo') q = (e) => e.repo?.toLowerCase() === value.toLowerCase();
    else {
      q = createdQualifier(value);
      created = true;
    }
    if (!q) return { bad: term };
    const test = q;
    qualifiers.push(negate ? (e) => !test(e) : test);
  }
  return { qualifiers, created };
}

/** Cursors are opaque to clients ("A cursor, as given in the Link header"). */
const cursorOf = (e: AuditEvent) => Buffer.from(`${e['@timestamp']}:${e._document_id}`).toString('base64url');

/** Answers orgs/get-audit-log for `state`'s organisation. */
export function auditLogPage(req: EmuRequest, state: GithubState, log: AuditLog): EmuResponse {
  // GitHub documents only the 200 answer of this operation (ghec.json), and the enums of `include` and
  // `order`. What the emulator cannot search as documented (an unknown qualifier, a value outside the
  // enums, a cursor it did not give) it refuses with 422 rather than answer a search it would misread:
  // an emulator limit, not a rule of GitHub's (the request-conformance check fails such requests of ours).
  const bad = (message: string) => error(422, message, {}, AUDIT_LOG_DOCS);
  const include = req.query.get('include') ?? 'web';
  if (!['web', 'git', 'all'].includes(include)) return bad(`include must be one of web, git, all`);
  const order = req.query.get('order') ?? 'desc';
  if (!['desc', 'asc'].includes(order)) return bad('order must be one of desc, asc');
  const parsed = parsePhrase(req.query.get('phrase') ?? '');
  if ('bad' in parsed) return bad(`phrase: cannot search for '${parsed.bad}'`);
  const rawPer = Number.parseInt(req.query.get('per_page') ?? '', 10);
  const perPage = Number.isFinite(rawPer) && rawPer > 0 ? Math.min(rawPer, 100) : 30;
  const now = state.now.getTime();
  const horizon = now - (parsed.created ? RETENTION_MS : DEFAULT_WINDOW_MS);
  // Every event served is a web event: Git events (`include=git`) are not modelled.
  let events =
    include === 'git'
      ? []
      : log.all().filter((e) => e.created_at >= horizon && parsed.qualifiers.every((q) => q(e)));
  if (order === 'desc') events = [...events].reverse();
  const after = req.query.get('after');
  const before = req.query.get('before');
  let start = 0;
  let end = events.length;
  if (after) {
    const i = events.findIndex((e) => cursorOf(e) === after);
    if (i < 0) return bad('after: not a cursor of this search');
    start = i + 1;
  } else if (before) {
    const i = events.findIndex((e) => cursorOf(e) === before);
    if (i < 0) return bad('before: not a cursor of this search');
    end = i;
    start = Math.max(0, end - perPage);
  }
  const page = events.slice(start, Math.min(end, start + perPage));
  const link = (key: 'after' | 'before', cursor: string) => {
    const q = new URLSearchParams(req.query);
    q.delete('after');
    q.delete('before');
    q.set(key, cursor);
    return `<${req.origin}${req.path}?${q.toString()}>`;
  };
  const rels: string[] = [];
  if (start + page.length < end && page.length > 0)
    rels.push(`${link('after', cursorOf(page.at(-1)!))}; rel="next"`);
  if (start > 0 && page.length > 0) rels.push(`${link('before', cursorOf(page[0]!))}; rel="prev"`);
  return { status: 200, headers: rels.length > 0 ? { link: rels.join(', ') } : {}, body: page };
}
