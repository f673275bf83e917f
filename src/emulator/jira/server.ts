import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { RequestJournal, recordRequest } from '../journal.js';
import { emulatorTls } from '../tls.js';
import { adfProblems, adfTextLength } from './adf.js';
import { JqlError, type JqlField, matchesJql, parseJql } from './jql.js';

/**
 * A local Jira Cloud (REST v3) for the Jira ticket sink's tests and the demo, built from Atlassian's
 * OpenAPI description ("The Jira Cloud platform REST API", swagger-v3.v3.json; the operations served
 * are vendored in test/conformance/jira-openapi/ with provenance) and the reference pages cited at each
 * rule. It serves only what the sink uses, each as strict as the document says:
 * createIssue, getIssue, addComment, getTransitions, doTransition, searchAndReconsileIssuesUsingJql(+Post).
 * The removed `GET/POST /rest/api/3/search` answers 410 as Jira Cloud does since CHANGE-2046.
 * Every request is journaled (platform `jira`) and checked by the suite against the description.
 */

export interface JiraEmulatorUser {
  email: string;
  /** The API token (basic auth password). */
  apiToken: string;
  /** Project keys the user can browse and create issues in. */
  projects: string[];
}

export interface JiraEmulatorProject {
  key: string;
  issueTypes?: string[];
}

export interface JiraEmulatorOptions {
  users: JiraEmulatorUser[];
  projects: JiraEmulatorProject[];
  /** Priority names the site knows (Jira's defaults when omitted). */
  priorities?: string[];
  /** Burst limit: at most `requests` per `perSeconds` window, then 429 with Retry-After. */
  rateLimit?: { requests: number; perSeconds: number };
  /** Page size cap of the enhanced search. */
  maxSearchResults?: number;
  now?: () => Date;
}

type StatusCategoryKey = 'new' | 'indeterminate' | 'done';

interface Status {
  id: string;
  name: string;
  category: StatusCategoryKey;
}

/** A simplified workflow, as a new team-managed project has: any status to any other (global transitions). */
const STATUSES: Status[] = [
  { id: '10000', name: 'To Do', category: 'new' },
  { id: '3', name: 'In Progress', category: 'indeterminate' },
  { id: '10001', name: 'Done', category: 'done' },
];
const TRANSITIONS = [
  { id: '11', name: 'To Do', to: STATUSES[0]! },
  { id: '21', name: 'In Progress', to: STATUSES[1]! },
  { id: '31', name: 'Done', to: STATUSES[2]! },
];
const CATEGORY = {
  new: { id: 2, key: 'new', name: 'To Do', colorName: 'blue-gray' },
  indeterminate: { id: 4, key: 'indeterminate', name: 'In Progress', colorName: 'yellow' },
  done: { id: 3, key: 'done', name: 'Done', colorName: 'green' },
} as const;
const DEFAULT_PRIORITIES = ['Highest', 'High', 'Medium', 'Low', 'Lowest'];

/**
 * Field limits. Summary: 255 characters ("Summary must be less than 255 characters."). Multi-line text
 * (description, comment body): 32,767 characters (Jira Cloud's text field limit, "Jira Cloud limits",
 * https://support.atlassian.com/jira-cloud-administration/docs/what-are-the-limits-in-jira-cloud/).
 * Labels: no spaces, at most 255 characters ("The label 'x y' contains spaces which is invalid.").
 */
export const JIRA_LIMITS = { summary: 255, text: 32_767, label: 255 } as const;

export interface EmulatedComment {
  id: string;
  body: unknown;
  author: string;
  created: string;
}

export interface EmulatedIssue {
  id: string;
  key: string;
  project: string;
  summary: string;
  description: unknown;
  issueType: string;
  priority: string;
  labels: string[];
  status: Status;
  comments: EmulatedComment[];
  created: string;
  updated: string;
  deleted: boolean;
}

export interface RunningJiraEmulator {
  /** `https://127.0.0.1:PORT`: the site's base URL. */
  readonly origin: string;
  readonly caCert: string;
  /** Requests received, by `METHOD pattern`. */
  readonly requests: Map<string, number>;
  totalRequests(): number;
  /** Issues as stored, including deleted ones (flagged). */
  issues(): EmulatedIssue[];
  issue(key: string): EmulatedIssue | undefined;
  /** What a person does in Jira's UI: moves the issue to a status by name, without a comment. */
  transitionByHand(key: string, statusName: string): void;
  /** What a person does in Jira's UI: deletes the issue (getIssue answers 404 from then on). */
  deleteByHand(key: string): void;
  /** The next `times` API requests answer `status` (429 or 503) with `Retry-After`. */
  failNext(fault: { status: 429 | 503; times: number; retryAfterSeconds?: number }): void;
  /** An outage until `restore()`: every API request answers 503. */
  outage(): void;
  restore(): void;
  close(): Promise<void>;
}

class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: { errorMessages: string[]; errors: Record<string, string> },
    readonly headers: Record<string, string> = {},
  ) {
    super(body.errorMessages[0] ?? Object.values(body.errors)[0] ?? `HTTP ${status}`);
  }
}

const errorBody = (messages: string[], errors: Record<string, string> = {}) => ({
  errorMessages: messages,
  errors,
});
const notFound = () =>
  new ApiError(404, errorBody(['Issue does not exist or you do not have permission to see it.']));

interface Route {
  method: string;
  pattern: string;
  regex: RegExp;
  handle: (ctx: RequestContext) => { status: number; body?: unknown };
}

interface RequestContext {
  params: string[];
  query: URLSearchParams;
  body: unknown;
  user: JiraEmulatorUser;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export async function startJiraEmulator(options: JiraEmulatorOptions): Promise<RunningJiraEmulator> {
  const tls = await emulatorTls();
  const now = options.now ?? (() => new Date());
  const priorities = options.priorities ?? DEFAULT_PRIORITIES;
  const maxSearchResults = options.maxSearchResults ?? 100;
  const projects = new Map(
    options.projects.map((p, i) => [
      p.key,
      { key: p.key, id: String(10000 + i), issueTypes: p.issueTypes ?? ['Task', 'Bug', 'Story'], next: 1 },
    ]),
  );
  const issues = new Map<string, EmulatedIssue>();
  const requests = new Map<string, number>();
  const journal = new RequestJournal();
  let origin = '';
  let nextIssueId = 10001;
  let nextCommentId = 20001;
  let pendingFaults: { status: 429 | 503; times: number; retryAfterSeconds: number } | null = null;
  let down = false;
  let windowStart = 0;
  let windowCount = 0;

  const self = (issue: EmulatedIssue) => `${origin}/rest/api/3/issue/${issue.id}`;
  const accountId = (email: string) =>
    `5b10a2844c20165700ede${Buffer.from(email).toString('hex').slice(0, 8)}`;

  /** Finds a live issue the user may see; 404 otherwise (Jira does not tell the two apart). */
  const visibleIssue = (user: JiraEmulatorUser, idOrKey: string): EmulatedIssue => {
    const issue = issues.get(idOrKey.toUpperCase()) ?? [...issues.values()].find((i) => i.id === idOrKey);
    if (!issue || issue.deleted || !user.projects.includes(issue.project)) throw notFound();
    return issue;
  };

  const statusJson = (s: Status) => ({
    self: `${origin}/rest/api/3/status/${s.id}`,
    id: s.id,
    name: s.name,
    description: '',
    statusCategory: {
      self: `${origin}/rest/api/3/statuscategory/${CATEGORY[s.category].id}`,
      ...CATEGORY[s.category],
    },
  });

  const issueJson = (issue: EmulatedIssue, fields: string[] | null) => {
    const all: Record<string, unknown> = {
      summary: issue.summary,
      description: issue.description,
      labels: issue.labels,
      status: statusJson(issue.status),
      priority: { name: issue.priority, id: String(priorities.indexOf(issue.priority) + 1) },
      issuetype: {
        name: issue.issueType,
        id: String(10000 + projects.get(issue.project)!.issueTypes.indexOf(issue.issueType)),
      },
      project: { key: issue.project, id: projects.get(issue.project)!.id },
      resolution: issue.status.category === 'done' ? { name: 'Done', id: '10000' } : null,
      created: issue.created,
      updated: issue.updated,
      comment: {
        comments: issue.comments.map((c) => ({ id: c.id, body: c.body, created: c.created })),
        total: issue.comments.length,
      },
    };
    const wanted =
      fields === null || fields.includes('*all') || fields.includes('*navigable') ? Object.keys(all) : fields;
    const picked: Record<string, unknown> = {};
    for (const f of wanted) if (f in all) picked[f] = all[f];
    return { expand: '', id: issue.id, self: self(issue), key: issue.key, fields: picked };
  };

  const listParam = (query: URLSearchParams, name: string): string[] | null => {
    const raw = query.getAll(name);
    if (raw.length === 0) return null;
    return raw
      .flatMap((v) => v.split(','))
      .map((v) => v.trim())
      .filter((v) => v !== '');
  };

  const touch = (issue: EmulatedIssue) => {
    issue.updated = now().toISOString();
  };

  /** createIssue: `POST /rest/api/3/issue` (201 CreatedIssue; 400 ErrorCollection; 403 no permission). */
  const createIssue = ({ body, user }: RequestContext) => {
    if (!isObject(body) || !isObject(body.fields))
      throw new ApiError(400, errorBody(['Request body is missing fields.']));
    const f = body.fields;
    const errors: Record<string, string> = {};
    const projectRef = isObject(f.project) ? f.project : {};
    const project =
      typeof projectRef.key === 'string'
        ? projects.get(projectRef.key)
        : [...projects.values()].find((p) => p.id === projectRef.id);
    if (!project) errors.project = 'Specify a valid project ID or key';
    else if (!user.projects.includes(project.key))
      throw new ApiError(403, errorBody(['You do not have permission to create issues in this project.']));
    const typeRef = isObject(f.issuetype) ? f.issuetype : {};
    const issueType = project?.issueTypes.find(
      (t, i) => t === typeRef.name || String(10000 + i) === typeRef.id,
    );
    if (project && !issueType) errors.issuetype = 'Specify an issue type';
    if (typeof f.summary !== 'string' || f.summary.trim() === '')
      errors.summary = 'You must specify a summary of the issue.';
    else if (f.summary.length > JIRA_LIMITS.summary)
      errors.summary = 'Summary must be less than 255 characters.';
    else if (/[\r\n]/.test(f.summary))
      errors.summary = 'The summary is invalid because it contains newline characters.';
    if (f.description !== undefined) {
      const problems = adfProblems(f.description);
      if (problems.length > 0) errors.description = problems[0]!;
      else if (adfTextLength(f.description) > JIRA_LIMITS.text)
        errors.description =
          'The entered text is too long. It exceeds the allowed limit of 32,767 characters.';
    }
    let labels: string[] = [];
    if (f.labels !== undefined) {
      if (!Array.isArray(f.labels) || !f.labels.every((l) => typeof l === 'string'))
        errors.labels = 'labels must be an array of strings';
      else {
        labels = f.labels as string[];
        const bad = labels.find((l) => /\s/.test(l) || l === '' || l.length > JIRA_LIMITS.label);
        if (bad !== undefined) errors.labels = `The label '${bad}' contains spaces which is invalid.`;
      }
    }
    let priority = 'Medium';
    if (f.priority !== undefined) {
      const name = isObject(f.priority) ? f.priority.name : undefined;
      if (typeof name !== 'string' || !priorities.includes(name))
        errors.priority = `The priority selected is invalid.`;
      else priority = name;
    }
    for (const k of Object.keys(f)) {
      if (!['project', 'issuetype', 'summary', 'description', 'labels', 'priority'].includes(k))
        errors[k] = `Field '${k}' cannot be set. It is not on the appropriate screen, or unknown.`;
    }
    if (Object.keys(errors).length > 0) throw new ApiError(400, errorBody([], errors));
    const at = now().toISOString();
    const issue: EmulatedIssue = {
      id: String(nextIssueId++),
      key: `${project!.key}-${project!.next++}`,
      project: project!.key,
      summary: f.summary as string,
      description: f.description ?? null,
      issueType: issueType!,
      priority,
      labels,
      status: STATUSES[0]!,
      comments: [],
      created: at,
      updated: at,
      deleted: false,
    };
    issues.set(issue.key, issue);
    return { status: 201, body: { id: issue.id, key: issue.key, self: self(issue) } };
  };

  /** addComment: `POST /rest/api/3/issue/{issueIdOrKey}/comment` (201 Comment; 400; 404; 413). */
  const addComment = ({ params, body, user }: RequestContext) => {
    const issue = visibleIssue(user, params[0]!);
    if (!isObject(body)) throw new ApiError(400, errorBody(['Comment body can not be empty!']));
    const problems = adfProblems(body.body);
    if (problems.length > 0) throw new ApiError(400, errorBody([], { comment: problems[0]! }));
    if (adfTextLength(body.body) > JIRA_LIMITS.text)
      throw new ApiError(
        413,
        errorBody(['The entered text is too long. It exceeds the allowed limit of 32,767 characters.']),
      );
    const comment: EmulatedComment = {
      id: String(nextCommentId++),
      body: body.body,
      author: user.email,
      created: now().toISOString(),
    };
    issue.comments.push(comment);
    touch(issue);
    return {
      status: 201,
      body: {
        self: `${self(issue)}/comment/${comment.id}`,
        id: comment.id,
        author: { accountId: accountId(user.email), active: true },
        body: comment.body,
        created: comment.created,
        updated: comment.created,
      },
    };
  };

  /** getTransitions: the global transitions to every status but the current one. */
  const getTransitions = ({ params, user }: RequestContext) => {
    const issue = visibleIssue(user, params[0]!);
    return {
      status: 200,
      body: {
        expand: 'transitions',
        transitions: TRANSITIONS.filter((t) => t.to.id !== issue.status.id).map((t) => ({
          id: t.id,
          name: t.name,
          to: statusJson(t.to),
          hasScreen: false,
          isGlobal: true,
          isInitial: false,
          isAvailable: true,
          isConditional: false,
          isLooped: false,
        })),
      },
    };
  };

  /** doTransition: `{ transition: { id } }`, optional `update.comment[].add.body` (ADF); 204. */
  const doTransition = ({ params, body, user }: RequestContext) => {
    const issue = visibleIssue(user, params[0]!);
    const id = isObject(body) && isObject(body.transition) ? body.transition.id : undefined;
    if (typeof id !== 'string') throw new ApiError(400, errorBody(['Missing transition id.']));
    const transition = TRANSITIONS.find((t) => t.id === id && t.to.id !== issue.status.id);
    if (!transition)
      throw new ApiError(400, errorBody([`Transition id '${id}' is not valid for this issue.`]));
    const update = isObject(body) && isObject(body.update) ? body.update : {};
    const comments: unknown[] = [];
    for (const [field, ops] of Object.entries(update)) {
      if (field !== 'comment' || !Array.isArray(ops))
        throw new ApiError(
          400,
          errorBody([], {
            [field]: `Field '${field}' cannot be set. It is not on the appropriate screen, or unknown.`,
          }),
        );
      for (const op of ops) {
        const add = isObject(op) && isObject(op.add) ? op.add : null;
        if (!add) throw new ApiError(400, errorBody([], { comment: 'Only add is supported for comments.' }));
        const problems = adfProblems(add.body);
        if (problems.length > 0) throw new ApiError(400, errorBody([], { comment: problems[0]! }));
        comments.push(add.body);
      }
    }
    issue.status = transition.to;
    for (const c of comments)
      issue.comments.push({
        id: String(nextCommentId++),
        body: c,
        author: user.email,
        created: now().toISOString(),
      });
    touch(issue);
    return { status: 204 };
  };

  const getIssue = ({ params, query, user }: RequestContext) => ({
    status: 200,
    body: issueJson(visibleIssue(user, params[0]!), listParam(query, 'fields')),
  });

  /**
   * searchAndReconsileIssuesUsingJql(+Post): the enhanced search. Paging only by the opaque
   * `nextPageToken` of the previous page (no `startAt`, no total); `isLast` on the last page; only
   * `id` unless `fields` asks for more. Unbounded JQL is refused (400).
   */
  const search = (
    jql: unknown,
    nextPageToken: unknown,
    maxResults: unknown,
    fields: string[] | null,
    user: JiraEmulatorUser,
  ) => {
    if (typeof jql !== 'string')
      throw new ApiError(
        400,
        errorBody([
          'Unbounded JQL queries are not allowed here. Please add a search restriction to your query.',
        ]),
      );
    let parsed: ReturnType<typeof parseJql>;
    try {
      parsed = parseJql(jql);
    } catch (err) {
      if (err instanceof JqlError)
        throw new ApiError(400, errorBody([`Error in the JQL Query: ${err.message}`]));
      throw err;
    }
    for (const c of parsed.clauses) {
      if (c.field !== 'project') continue;
      for (const key of c.values) {
        if (!projects.has(key.toUpperCase()) || !user.projects.includes(key.toUpperCase()))
          throw new ApiError(400, errorBody([`The value '${key}' does not exist for the field 'project'.`]));
      }
    }
    const size = maxResults === undefined ? 50 : Number(maxResults);
    if (!Number.isInteger(size) || size < 1)
      throw new ApiError(400, errorBody(['maxResults must be a positive integer.']));
    const pageSize = Math.min(size, maxSearchResults);
    let offset = 0;
    if (nextPageToken !== undefined) {
      const decoded =
        typeof nextPageToken === 'string' ? Buffer.from(nextPageToken, 'base64url').toString('utf8') : '';
      const m = /^(\d+):(.*)$/s.exec(decoded);
      if (!m || m[2] !== jql)
        throw new ApiError(400, errorBody(['The provided next page token is invalid or expired.']));
      offset = Number(m[1]);
    }
    const valuesOf =
      (issue: EmulatedIssue) =>
      (field: JqlField): string[] => {
        switch (field) {
          case 'project':
            return [issue.project];
          case 'labels':
            return issue.labels;
          case 'key':
            return [issue.key, issue.id];
          case 'status':
            return [issue.status.name];
          case 'statuscategory':
            return [CATEGORY[issue.status.category].name, issue.status.category];
        }
      };
    const hits = [...issues.values()]
      .filter((i) => !i.deleted && user.projects.includes(i.project) && matchesJql(parsed, valuesOf(i)))
      .sort((a, b) => Number(a.id) - Number(b.id));
    if (parsed.orderBy?.direction === 'desc') hits.reverse();
    const page = hits.slice(offset, offset + pageSize);
    const isLast = offset + pageSize >= hits.length;
    return {
      status: 200,
      body: {
        issues: page.map((i) => {
          const j = issueJson(i, fields ?? ['id']);
          return fields ? j : { id: j.id };
        }),
        isLast,
        ...(isLast
          ? {}
          : { nextPageToken: Buffer.from(`${offset + pageSize}:${jql}`).toString('base64url') }),
      },
    };
  };

  /** The old search, removed from Jira Cloud (CHANGE-2046): 410 Gone with Atlassian's pointer. */
  const removedSearch = () => {
    throw new ApiError(
      410,
      errorBody([
        'The requested API has been removed. Please migrate to the /rest/api/3/search/jql API. A full migration guideline is available at https://developer.atlassian.com/changelog/#CHANGE-2046',
      ]),
    );
  };

  const route = (method: string, pattern: string, handle: Route['handle']): Route => ({
    method,
    pattern,
    regex: new RegExp(`^${pattern.replace(/\{[^}]+\}/g, '([^/]+)')}$`),
    handle,
  });
  const routes: Route[] = [
    route('POST', '/rest/api/3/issue', createIssue),
    route('GET', '/rest/api/3/issue/{issueIdOrKey}', getIssue),
    route('POST', '/rest/api/3/issue/{issueIdOrKey}/comment', addComment),
    route('GET', '/rest/api/3/issue/{issueIdOrKey}/transitions', getTransitions),
    route('POST', '/rest/api/3/issue/{issueIdOrKey}/transitions', doTransition),
    route('GET', '/rest/api/3/search/jql', (c) =>
      search(
        c.query.get('jql') ?? undefined,
        c.query.get('nextPageToken') ?? undefined,
        c.query.get('maxResults') ?? undefined,
        listParam(c.query, 'fields'),
        c.user,
      ),
    ),
    route('POST', '/rest/api/3/search/jql', (c) => {
      const b = isObject(c.body) ? c.body : {};
      const fields = Array.isArray(b.fields) ? (b.fields as string[]) : null;
      return search(b.jql, b.nextPageToken, b.maxResults, fields, c.user);
    }),
    route('GET', '/rest/api/3/search', removedSearch),
    route('POST', '/rest/api/3/search', removedSearch),
  ];

  /**
   * Basic auth with the account email and an API token
   * (https://developer.atlassian.com/cloud/jira/platform/basic-auth-for-rest-apis/); anything else is
   * 401 (every operation documents "401: the authentication credentials are incorrect or missing").
   */
  const authenticate = (header: string | undefined): JiraEmulatorUser | null => {
    const m = /^Basic\s+([A-Za-z0-9+/=]+)$/.exec(header ?? '');
    if (!m) return null;
    const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) return null;
    const email = decoded.slice(0, colon);
    const token = Buffer.from(decoded.slice(colon + 1));
    const user = options.users.find((u) => u.email === email);
    if (!user) return null;
    const expected = Buffer.from(user.apiToken);
    return expected.length === token.length && timingSafeEqual(expected, token) ? user : null;
  };

  /**
   * Rate limits (https://developer.atlassian.com/cloud/jira/platform/rate-limiting/): 429 with
   * `Retry-After` (seconds), `X-RateLimit-Reset` (ISO 8601) and `RateLimit-Reason`; "Some transient
   * 5XX errors are accompanied by a Retry-After header", e.g. 503.
   */
  const limited = (): ApiError | null => {
    const retryHeaders = (seconds: number, reason?: string) => ({
      'retry-after': String(seconds),
      'x-ratelimit-reset': new Date(now().getTime() + seconds * 1000).toISOString().slice(0, 16) + 'Z',
      ...(reason ? { 'ratelimit-reason': reason } : {}),
    });
    if (down) return new ApiError(503, errorBody(['Service Unavailable']), { 'retry-after': '1' });
    if (pendingFaults && pendingFaults.times > 0) {
      pendingFaults.times -= 1;
      const { status, retryAfterSeconds } = pendingFaults;
      if (pendingFaults.times === 0) pendingFaults = null;
      return status === 429
        ? new ApiError(
            429,
            errorBody(['Rate limit exceeded.']),
            retryHeaders(retryAfterSeconds, 'jira-burst-based'),
          )
        : new ApiError(503, errorBody(['Service Unavailable']), retryHeaders(retryAfterSeconds));
    }
    if (options.rateLimit) {
      const t = now().getTime();
      const windowMs = options.rateLimit.perSeconds * 1000;
      if (t - windowStart >= windowMs) {
        windowStart = t;
        windowCount = 0;
      }
      windowCount += 1;
      if (windowCount > options.rateLimit.requests) {
        const seconds = Math.max(1, Math.ceil((windowStart + windowMs - t) / 1000));
        return new ApiError(
          429,
          errorBody(['Rate limit exceeded.']),
          retryHeaders(seconds, 'jira-burst-based'),
        );
      }
    }
    return null;
  };

  /**
   * Control endpoints under `/_emulator/` (not Jira's API, never journaled), for an emulator served by
   * `grantscope emulator --jira`: what a person does in Jira's UI, and faults.
   * `GET /_emulator/issues`, `POST /_emulator/issues/{key}/status {"status":"Done"}`,
   * `DELETE /_emulator/issues/{key}`, `POST|DELETE /_emulator/outage`,
   * `POST /_emulator/faults {"status":429,"times":2,"retryAfterSeconds":3}`.
   */
  const control = (method: string, path: string, raw: Buffer): { status: number; body?: unknown } => {
    let body: Record<string, unknown> = {};
    try {
      body = raw.length > 0 ? (JSON.parse(raw.toString('utf8')) as Record<string, unknown>) : {};
    } catch {
      return { status: 400, body: { message: 'not JSON' } };
    }
    try {
      if (method === 'GET' && path === '/_emulator/issues')
        return {
          status: 200,
          body: running.issues().map((i) => ({
            key: i.key,
            summary: i.summary,
            status: i.status.name,
            labels: i.labels,
            priority: i.priority,
            comments: i.comments.length,
            deleted: i.deleted,
          })),
        };
      const status = /^\/_emulator\/issues\/([^/]+)\/status$/.exec(path);
      if (method === 'POST' && status) {
        running.transitionByHand(decodeURIComponent(status[1]!), String(body.status));
        return { status: 204 };
      }
      const issue = /^\/_emulator\/issues\/([^/]+)$/.exec(path);
      if (method === 'DELETE' && issue) {
        running.deleteByHand(decodeURIComponent(issue[1]!));
        return { status: 204 };
      }
      if (path === '/_emulator/outage' && (method === 'POST' || method === 'DELETE')) {
        if (method === 'POST') running.outage();
        else running.restore();
        return { status: 204 };
      }
      if (method === 'POST' && path === '/_emulator/faults') {
        if ((body.status !== 429 && body.status !== 503) || !Number.isInteger(body.times))
          return { status: 400, body: { message: 'status 429 or 503 and an integer times' } };
        running.failNext({
          status: body.status,
          times: body.times as number,
          ...(typeof body.retryAfterSeconds === 'number'
            ? { retryAfterSeconds: body.retryAfterSeconds }
            : {}),
        });
        return { status: 204 };
      }
    } catch (err) {
      return { status: 404, body: { message: (err as Error).message } };
    }
    return { status: 404, body: { message: 'unknown control endpoint' } };
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks);
    const url = new URL(req.url ?? '/', origin);
    const method = (req.method ?? 'GET').toUpperCase();
    if (url.pathname.startsWith('/_emulator/')) {
      const out = control(method, url.pathname, raw);
      const text = out.body === undefined ? '' : JSON.stringify(out.body);
      res.writeHead(out.status, {
        ...(text ? { 'content-type': 'application/json' } : {}),
        'content-length': Buffer.byteLength(text),
      });
      res.end(text);
      return;
    }
    const found = routes.find((r) => r.method === method && r.regex.test(url.pathname));
    const pattern = found?.pattern ?? null;
    const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      const key = `${method} ${pattern ?? url.pathname}`;
      requests.set(key, (requests.get(key) ?? 0) + 1);
      if (journal.enabled)
        journal.write(
          recordRequest({
            platform: found ? 'jira' : null,
            service: 'jira',
            method,
            url,
            pattern,
            headers: req.headers,
            body: raw,
            status,
          }),
        );
      const text = body === undefined ? '' : JSON.stringify(body);
      res.writeHead(status, {
        ...(text ? { 'content-type': 'application/json;charset=UTF-8' } : {}),
        'content-length': Buffer.byteLength(text),
        ...headers,
      });
      res.end(text);
    };
    try {
      if (!found) throw new ApiError(404, errorBody(['null for uri: ' + url.pathname]));
      const fault = limited();
      if (fault) throw fault;
      const user = authenticate(req.headers.authorization);
      if (!user)
        throw new ApiError(
          401,
          errorBody(['You are not authenticated. Authentication required to perform this operation.']),
          {
            'www-authenticate': 'Basic realm="protected-area"',
          },
        );
      let body: unknown = null;
      if (raw.length > 0) {
        if (!String(req.headers['content-type'] ?? '').includes('application/json'))
          throw new ApiError(415, errorBody(['Unsupported Media Type']));
        try {
          body = JSON.parse(raw.toString('utf8'));
        } catch {
          throw new ApiError(400, errorBody(['Unexpected character in the request body: not JSON.']));
        }
      }
      const params = found.regex.exec(url.pathname)!.slice(1).map(decodeURIComponent);
      const out = found.handle({ params, query: url.searchParams, body, user });
      send(out.status, out.body);
    } catch (err) {
      if (err instanceof ApiError) send(err.status, err.body, err.headers);
      else send(500, errorBody([`Internal server error: ${(err as Error).message}`]));
    }
  };

  const server: Server = createServer({ key: tls.key, cert: tls.cert }, (req, res) => {
    handle(req, res).catch((err: unknown) => {
      res.destroy(err as Error);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const byKey = (key: string) => {
    const issue = issues.get(key);
    if (!issue) throw new Error(`no issue ${key} in the Jira emulator`);
    return issue;
  };

  const running: RunningJiraEmulator = {
    origin,
    caCert: tls.caCert,
    requests,
    totalRequests: () => [...requests.values()].reduce((a, b) => a + b, 0),
    issues: () => [...issues.values()],
    issue: (key) => issues.get(key),
    transitionByHand(key, statusName) {
      const issue = byKey(key);
      const status = STATUSES.find((s) => s.name === statusName);
      if (!status) throw new Error(`no status ${statusName}`);
      issue.status = status;
      touch(issue);
    },
    deleteByHand(key) {
      byKey(key).deleted = true;
    },
    failNext(fault) {
      pendingFaults = { retryAfterSeconds: 1, ...fault };
    },
    outage() {
      down = true;
    },
    restore() {
      down = false;
      pendingFaults = null;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  return running;
}

/** A random API token for tests: shaped like Atlassian's (`ATATT3x…`), never a real one. */
export function fakeJiraApiToken(): string {
  return `ATATT3xFfGF0${randomBytes(24).toString('base64url')}`;
}
