import type { EmuRequest, EmuResponse, Route } from '../router.js';
import { error, type GuardDeps, guard, paginate, type Requirement, restRouteFaults } from './api.js';
import { simpleUser, type Urls, urlsOf } from './shapes.js';
import { type GithubState, listing } from './state.js';

const API = '/api/v3';

/** Each operation's reference page (`externalDocs.url` in GitHub's OpenAPI description). */
const DOCS = {
  create: 'https://docs.github.com/rest/issues/issues#create-an-issue',
  get: 'https://docs.github.com/rest/issues/issues#get-an-issue',
  update: 'https://docs.github.com/rest/issues/issues#update-an-issue',
  list: 'https://docs.github.com/rest/issues/issues#list-repository-issues',
  comment: 'https://docs.github.com/rest/issues/comments#create-an-issue-comment',
} as const;

/** "body … maximum is 65536 characters" (GitHub's 422 for a longer issue or comment body). */
const BODY_MAX = 65_536;

interface StoredIssue {
  number: number;
  id: number;
  title: string;
  body: string | null;
  labels: string[];
  state: 'open' | 'closed';
  state_reason: 'completed' | 'not_planned' | 'reopened' | null;
  comments: { id: number; body: string }[];
  created_at: string;
  updated_at: string;
  closed_at: string | null;
  /** Deleted by an admin: GET answers 410 Gone (OpenAPI issues/get `responses.410`). */
  deleted: boolean;
}

interface IssueStore {
  byRepo: Map<string, StoredIssue[]>;
  nextId: number;
}

const stores = new WeakMap<GithubState, IssueStore>();
function storeOf(state: GithubState): IssueStore {
  let s = stores.get(state);
  if (!s) {
    s = { byRepo: new Map(), nextId: 5_000_000 };
    stores.set(state, s);
  }
  return s;
}

/**
 * The Issues operations a ticketing sink uses (OpenAPI issues/create, issues/get, issues/update,
 * issues/list-for-repo, issues/create-comment). Writing needs the installation permission "Issues"
 * (write), or the classic `repo` scope ("Permissions required for GitHub Apps", github/docs
 * server-to-server-permissions.json; classic scopes per the operations' descriptions). Validation
 * failures are 422 "Validation Failed" with `errors[]` (OpenAPI components/responses/validation_failed).
 */
export function issueRoutes(deps: GuardDeps): Route[] {
  const route = (
    method: string,
    path: string,
    need: Requirement,
    handler: (req: EmuRequest, state: GithubState, headers: Record<string, string>) => EmuResponse,
  ): Route => ({
    service: 'github',
    method,
    pattern: `${API}${path}`,
    handler: (req) => {
      const g = guard(req, need, deps);
      if (!g.ok) return g.response;
      const resp = handler(req, g.state, g.headers);
      return { ...resp, headers: { ...g.headers, ...resp.headers } };
    },
    faults: restRouteFaults(need, method === 'GET' && !path.endsWith('}')),
  });
  const read: Requirement = { app: ['issues', 'read'], classic: ['repo', 'public_repo'] };
  const write: Requirement = { app: ['issues', 'write'], classic: ['repo', 'public_repo'] };

  const repoOf = (state: GithubState, req: EmuRequest) => {
    if (req.params.owner?.toLowerCase() !== state.org.login.toLowerCase()) return undefined;
    return state.repoByName(req.params.repo ?? '');
  };
  const issuesOf = (state: GithubState, repo: string) => {
    const s = storeOf(state);
    const key = repo.toLowerCase();
    let list = s.byRepo.get(key);
    if (!list) {
      list = [];
      s.byRepo.set(key, list);
    }
    return list;
  };
  const json = (req: EmuRequest): Record<string, unknown> | null => {
    try {
      const v = JSON.parse(req.body.toString('utf8') || 'null') as unknown;
      return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
    } catch {
      return null;
    }
  };
  const invalid = (docs: string, field: string, code: string, message?: string): EmuResponse => ({
    status: 422,
    body: {
      message: 'Validation Failed',
      errors: [{ resource: 'Issue', field, code, ...(message ? { message } : {}) }],
      documentation_url: docs,
      status: '422',
    },
  });
  const badJson = (docs: string) => error(400, 'Problems parsing JSON', {}, docs);
  const shape = (i: StoredIssue, state: GithubState, repo: string, urls: Urls) => {
    const full = `${state.org.login}/${repo}`;
    return {
      id: i.id,
      node_id: Buffer.from(`05:Issue${i.id}`).toString('base64'),
      url: `${urls.api}/repos/${full}/issues/${i.number}`,
      repository_url: `${urls.api}/repos/${full}`,
      comments_url: `${urls.api}/repos/${full}/issues/${i.number}/comments`,
      html_url: `${urls.web}/${full}/issues/${i.number}`,
      number: i.number,
      state: i.state,
      state_reason: i.state_reason,
      title: i.title,
      body: i.body,
      user: simpleUser({ login: `${state.app.slug}[bot]`, id: state.app.id, type: 'Bot' }, urls),
      labels: i.labels.map((name, n) => ({ id: i.id * 100 + n, name, color: 'ededed', default: false })),
      assignee: null,
      assignees: [],
      locked: false,
      comments: i.comments.length,
      created_at: i.created_at,
      updated_at: i.updated_at,
      closed_at: i.closed_at,
      author_association: 'NONE',
    };
  };
  const labelsOf = (v: unknown): string[] | null =>
    Array.isArray(v)
      ? v
          .map((l) => (typeof l === 'string' ? l : (l as { name?: unknown })?.name))
          .filter((l): l is string => typeof l === 'string')
      : null;

  return [
    // issues/create
    route('POST', '/repos/{owner}/{repo}/issues', { ...write, docs: DOCS.create }, (req, state) => {
      const repo = repoOf(state, req);
      if (!repo) return error(404, 'Not Found', {}, DOCS.create);
      // "Issues are disabled for this repo" (410) on archived repositories, which are read-only.
      if (repo.archived) return error(410, 'Issues are disabled for this repo', {}, DOCS.create);
      const body = json(req);
      if (!body) return badJson(DOCS.create);
      if (typeof body.title !== 'string' && typeof body.title !== 'number') {
        return invalid(DOCS.create, 'title', 'missing_field');
      }
      if (typeof body.body === 'string' && body.body.length > BODY_MAX) {
        return invalid(DOCS.create, 'body', 'custom', `body is too long (maximum is ${BODY_MAX} characters)`);
      }
      const list = issuesOf(state, repo.name);
      const s = storeOf(state);
      const now = new Date().toISOString();
      const issue: StoredIssue = {
        number: list.length + 1,
        id: s.nextId++,
        title: String(body.title),
        body: typeof body.body === 'string' ? body.body : null,
        labels: labelsOf(body.labels) ?? [],
        state: 'open',
        state_reason: null,
        comments: [],
        created_at: now,
        updated_at: now,
        closed_at: null,
        deleted: false,
      };
      list.push(issue);
      const urls = urlsOf(req.origin);
      const out = shape(issue, state, repo.name, urls);
      return { status: 201, headers: { location: out.url }, body: out };
    }),
    // issues/get
    route('GET', '/repos/{owner}/{repo}/issues/{issue_number}', { ...read, docs: DOCS.get }, (req, state) => {
      const repo = repoOf(state, req);
      const issue =
        repo && issuesOf(state, repo.name).find((i) => String(i.number) === req.params.issue_number);
      if (!repo || !issue) return error(404, 'Not Found', {}, DOCS.get);
      if (issue.deleted) return error(410, 'This issue was deleted', {}, DOCS.get);
      return { status: 200, body: shape(issue, state, repo.name, urlsOf(req.origin)) };
    }),
    // issues/update
    route(
      'PATCH',
      '/repos/{owner}/{repo}/issues/{issue_number}',
      { ...write, docs: DOCS.update },
      (req, state) => {
        const repo = repoOf(state, req);
        const issue =
          repo && issuesOf(state, repo.name).find((i) => String(i.number) === req.params.issue_number);
        if (!repo || !issue) return error(404, 'Not Found', {}, DOCS.update);
        if (issue.deleted) return error(410, 'This issue was deleted', {}, DOCS.update);
        const body = json(req);
        if (!body) return badJson(DOCS.update);
        if (body.state !== undefined && body.state !== 'open' && body.state !== 'closed') {
          return invalid(DOCS.update, 'state', 'invalid');
        }
        const reasons = ['completed', 'not_planned', 'reopened', null];
        if (body.state_reason !== undefined && !reasons.includes(body.state_reason as never)) {
          return invalid(DOCS.update, 'state_reason', 'invalid');
        }
        if (typeof body.body === 'string' && body.body.length > BODY_MAX) {
          return invalid(
            DOCS.update,
            'body',
            'custom',
            `body is too long (maximum is ${BODY_MAX} characters)`,
          );
        }
        const now = new Date().toISOString();
        if (typeof body.title === 'string') issue.title = body.title;
        if (typeof body.body === 'string' || body.body === null) issue.body = body.body as string | null;
        const labels = labelsOf(body.labels);
        if (labels) issue.labels = labels;
        if (body.state === 'closed' && issue.state === 'open') {
          issue.state = 'closed';
          issue.closed_at = now;
          issue.state_reason = (body.state_reason as StoredIssue['state_reason']) ?? 'completed';
        } else if (body.state === 'open' && issue.state === 'closed') {
          issue.state = 'open';
          issue.closed_at = null;
          issue.state_reason = 'reopened';
        }
        issue.updated_at = now;
        return { status: 200, body: shape(issue, state, repo.name, urlsOf(req.origin)) };
      },
    ),
    // issues/list-for-repo (pull requests are issues too; there are none here)
    route('GET', '/repos/{owner}/{repo}/issues', { ...read, docs: DOCS.list }, (req, state) => {
      const repo = repoOf(state, req);
      if (!repo) return error(404, 'Not Found', {}, DOCS.list);
      const wanted = req.query.get('state') ?? 'open';
      const labels = (req.query.get('labels') ?? '').split(',').filter(Boolean);
      const found = issuesOf(state, repo.name)
        .filter((i) => !i.deleted && (wanted === 'all' || i.state === wanted))
        .filter((i) => labels.every((l) => i.labels.some((x) => x.toLowerCase() === l.toLowerCase())))
        // Default sort: created, descending.
        .slice()
        .reverse();
      const urls = urlsOf(req.origin);
      const page = paginate(req, listing(found), (i) => shape(i, state, repo.name, urls));
      return { status: 200, headers: page.headers, body: page.items };
    }),
    // issues/create-comment
    route(
      'POST',
      '/repos/{owner}/{repo}/issues/{issue_number}/comments',
      { ...write, docs: DOCS.comment },
      (req, state) => {
        const repo = repoOf(state, req);
        const issue =
          repo && issuesOf(state, repo.name).find((i) => String(i.number) === req.params.issue_number);
        if (!repo || !issue) return error(404, 'Not Found', {}, DOCS.comment);
        if (issue.deleted) return error(410, 'This issue was deleted', {}, DOCS.comment);
        const body = json(req);
        if (!body) return badJson(DOCS.comment);
        if (typeof body.body !== 'string') return invalid(DOCS.comment, 'body', 'missing_field');
        if (body.body.length > BODY_MAX) {
          return invalid(
            DOCS.comment,
            'body',
            'custom',
            `body is too long (maximum is ${BODY_MAX} characters)`,
          );
        }
        const id = storeOf(state).nextId++;
        issue.comments.push({ id, body: body.body });
        issue.updated_at = new Date().toISOString();
        const urls = urlsOf(req.origin);
        const full = `${state.org.login}/${repo.name}`;
        return {
          status: 201,
          body: {
            id,
            node_id: Buffer.from(`012:IssueComment${id}`).toString('base64'),
            url: `${urls.api}/repos/${full}/issues/comments/${id}`,
            html_url: `${urls.web}/${full}/issues/${issue.number}#issuecomment-${id}`,
            issue_url: `${urls.api}/repos/${full}/issues/${issue.number}`,
            body: body.body,
            user: simpleUser({ login: `${state.app.slug}[bot]`, id: state.app.id, type: 'Bot' }, urls),
            created_at: issue.updated_at,
            updated_at: issue.updated_at,
            author_association: 'NONE',
          },
        };
      },
    ),
  ];
}
