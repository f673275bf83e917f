import { createHash } from 'node:crypto';
import type { Severity } from '../../../findings/finding.js';
import {
  type RemoteTicketState,
  type TicketContent,
  type TicketDocument,
  type TicketRef,
  type TicketSink,
  TicketSinkError,
} from '../../sink.js';
import { toAdf, toLabel, toSummary } from './adf.js';
import { JiraApi, type JiraClientOptions } from './client.js';

/** A Jira sink resolved from its settings: the token is the value, read from its file or variable. */
export interface JiraSinkConfig {
  name: string;
  baseUrl: string;
  email: string;
  apiToken: string;
  project: string;
  issueType: string;
  labels: string[];
  priorities?: Partial<Record<Severity, string>>;
  transitions: { close: string; reopen: string };
}

export type JiraSinkDeps = Pick<
  JiraClientOptions,
  'ca' | 'maxRetries' | 'maxRetryWaitMs' | 'timeoutMs' | 'sleep'
>;

/**
 * The lifecycle key as a Jira label: `grantscope-` and 24 hex digits of its SHA-256 (keys can hold
 * characters labels refuse; 96 bits do not collide in one project). Searching a project by this label
 * finds the ticket again when local state is lost.
 */
export function keyLabel(key: string): string {
  return `grantscope-${createHash('sha256').update(key).digest('hex').slice(0, 24)}`;
}

/** JQL string literal: quotes and backslashes escaped. */
const jqlString = (s: string) => `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;

/**
 * Jira Cloud as a ticketing sink (REST v3 through jira.js). Costs, in requests: open 2 (a search by
 * key label, so an issue whose creation answer was lost is found, not duplicated, then create);
 * comment 1; close / reopen 2 (get transitions, transition) + 1 comment; state 1; readStates one
 * search page per 100 of the sink's issues.
 */
/** The label every issue of one sink carries: scopes searches to the sink (two sinks may share a project). */
export function sinkLabel(sinkName: string): string {
  return `grantscope-sink-${sinkName.replace(/[^A-Za-z0-9_.-]/g, '-')}`.slice(0, 255);
}

export class JiraSink implements TicketSink {
  readonly kind = 'jira';
  readonly canReadState = true;
  readonly name: string;
  readonly api: JiraApi;

  constructor(
    private readonly config: JiraSinkConfig,
    deps: JiraSinkDeps = {},
  ) {
    this.name = config.name;
    this.api = new JiraApi({
      sink: config.name,
      baseUrl: config.baseUrl,
      email: config.email,
      apiToken: config.apiToken,
      ...deps,
    });
  }

  /** JQL for this sink's issues: its project and its sink label. */
  private scope(): string {
    return `project = ${jqlString(this.config.project)} AND labels = ${jqlString(sinkLabel(this.name))}`;
  }

  private ref(key: string): TicketRef {
    return { id: key, url: `${this.config.baseUrl}/browse/${encodeURIComponent(key)}` };
  }

  /**
   * The issue that carries this lifecycle key in the project, newest first, open ones preferred;
   * null when there is none. Paged by `nextPageToken` (enhanced search).
   */
  async find(
    key: string,
    operation: 'search' | 'open' = 'search',
  ): Promise<{ ref: TicketRef; state: Exclude<RemoteTicketState, 'missing'> } | null> {
    const jql = `${this.scope()} AND labels = ${jqlString(keyLabel(key))} ORDER BY created DESC`;
    let closed: TicketRef | null = null;
    let nextPageToken: string | undefined;
    do {
      const token = nextPageToken;
      const page = await this.api.call(operation, `search ${this.config.project} by key label`, (c) =>
        c.issueSearch.searchForIssuesUsingJqlEnhancedSearch({
          jql,
          fields: ['status'],
          maxResults: 50,
          ...(token ? { nextPageToken: token } : {}),
        }),
      );
      for (const issue of page.issues ?? []) {
        if (!issue.key) continue;
        const category = (issue.fields as { status?: { statusCategory?: { key?: string } } } | undefined)
          ?.status?.statusCategory?.key;
        if (category !== 'done') return { ref: this.ref(issue.key), state: 'open' };
        closed ??= this.ref(issue.key);
      }
      // `isLast` is in Jira's description (SearchAndReconcileResults), not in jira.js's type.
      nextPageToken = (page as { isLast?: boolean }).isLast ? undefined : (page.nextPageToken ?? undefined);
    } while (nextPageToken);
    return closed ? { ref: closed, state: 'closed' } : null;
  }

  async open(content: TicketContent): Promise<TicketRef> {
    // An open issue with this key is this ticket (a create whose answer was lost, a rebuilt state).
    const existing = await this.find(content.key, 'open');
    if (existing?.state === 'open') return existing.ref;
    const labels = [
      ...new Set(
        [...this.config.labels, ...content.labels, sinkLabel(this.name), keyLabel(content.key)]
          .map(toLabel)
          .filter((l): l is string => l !== null),
      ),
    ];
    const priority = this.config.priorities?.[content.severity];
    const created = await this.api.call('open', `create issue in ${this.config.project}`, (c) =>
      c.issues.createIssue({
        fields: {
          project: { key: this.config.project },
          issuetype: { name: this.config.issueType },
          summary: toSummary(content.title),
          description: toAdf(content.body),
          labels,
          ...(priority ? { priority: { name: priority } } : {}),
        },
      } as Parameters<typeof c.issues.createIssue>[0]),
    );
    return this.ref(created.key);
  }

  async comment(ref: TicketRef, comment: TicketDocument): Promise<void> {
    await this.api.call('comment', `comment on ${ref.id}`, (c) =>
      c.issueComments.addComment({ issueIdOrKey: ref.id, comment: toAdf(comment) } as Parameters<
        typeof c.issueComments.addComment
      >[0]),
    );
  }

  async close(ref: TicketRef, comment: TicketDocument): Promise<void> {
    await this.transition(ref, 'close', this.config.transitions.close, true);
    await this.api.call('close', `comment on ${ref.id}`, (c) =>
      c.issueComments.addComment({ issueIdOrKey: ref.id, comment: toAdf(comment) } as Parameters<
        typeof c.issueComments.addComment
      >[0]),
    );
  }

  async reopen(ref: TicketRef, comment: TicketDocument): Promise<void> {
    await this.transition(ref, 'reopen', this.config.transitions.reopen, false);
    await this.api.call('reopen', `comment on ${ref.id}`, (c) =>
      c.issueComments.addComment({ issueIdOrKey: ref.id, comment: toAdf(comment) } as Parameters<
        typeof c.issueComments.addComment
      >[0]),
    );
  }

  /**
   * Moves the issue by the transition named `name` (case-insensitive, as the workflow lists it). Done
   * first and the comment after, so a retry after a failed comment does not transition twice: an
   * issue already where the transition leads (no such transition offered, and the status category
   * already done / not done) is left as it is.
   */
  private async transition(ref: TicketRef, operation: 'close' | 'reopen', name: string, toDone: boolean) {
    const { transitions = [] } = await this.api.call(operation, `get transitions of ${ref.id}`, (c) =>
      c.issues.getTransitions({ issueIdOrKey: ref.id }),
    );
    const wanted = transitions.find((t) => t.name?.toLowerCase() === name.toLowerCase());
    if (wanted?.id) {
      const id = wanted.id;
      await this.api.call(operation, `transition ${ref.id} by '${name}'`, (c) =>
        c.issues.doTransition({ issueIdOrKey: ref.id, transition: { id } }),
      );
      return;
    }
    const state = await this.stateFor(ref, operation);
    if (state === (toDone ? 'closed' : 'open')) return;
    const offered = transitions.map((t) => `'${t.name}'`).join(', ') || 'none';
    throw new TicketSinkError(
      this.name,
      operation,
      `${ref.id} offers no transition named '${name}' (offered: ${offered}); set transitions.${operation} in grantscope.yaml`,
      null,
    );
  }

  /**
   * The states of many tickets at the cost of a search page per 100 of the sink's issues, instead of a
   * request per ticket; a ticket the search does not list (deleted, or not yet indexed: the enhanced
   * search is eventually consistent) is then read one by one, so `missing` is only ever Jira's 404.
   */
  async readStates(refs: readonly TicketRef[]): Promise<Map<string, RemoteTicketState>> {
    const states = new Map<string, RemoteTicketState>();
    if (refs.length === 0) return states;
    const listed = new Map<string, RemoteTicketState>();
    let nextPageToken: string | undefined;
    do {
      const token = nextPageToken;
      const page = await this.api.call('state', `search ${this.config.project} for this sink's issues`, (c) =>
        c.issueSearch.searchForIssuesUsingJqlEnhancedSearch({
          jql: `${this.scope()} ORDER BY created ASC`,
          fields: ['status'],
          maxResults: 100,
          ...(token ? { nextPageToken: token } : {}),
        }),
      );
      for (const issue of page.issues ?? []) {
        const category = (issue.fields as { status?: { statusCategory?: { key?: string } } } | undefined)
          ?.status?.statusCategory?.key;
        if (issue.key) listed.set(issue.key, category === 'done' ? 'closed' : 'open');
      }
      nextPageToken = (page as { isLast?: boolean }).isLast ? undefined : (page.nextPageToken ?? undefined);
    } while (nextPageToken);
    for (const ref of refs) states.set(ref.id, listed.get(ref.id) ?? (await this.stateFor(ref, 'state')));
    return states;
  }

  async state(ref: TicketRef): Promise<RemoteTicketState> {
    return this.stateFor(ref, 'state');
  }

  private async stateFor(
    ref: TicketRef,
    operation: 'state' | 'close' | 'reopen',
  ): Promise<RemoteTicketState> {
    try {
      const issue = await this.api.call(operation, `get ${ref.id}`, (c) =>
        c.issues.getIssue({ issueIdOrKey: ref.id, fields: ['status'] }),
      );
      const category = (issue.fields as { status?: { statusCategory?: { key?: string } } } | undefined)
        ?.status?.statusCategory?.key;
      return category === 'done' ? 'closed' : 'open';
    } catch (err) {
      // getIssue: "404: the issue is not found or the user does not have permission to view it".
      if (err instanceof TicketSinkError && err.status === 404) return 'missing';
      throw err;
    }
  }
}
