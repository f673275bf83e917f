import {
  type DocumentNode,
  execute,
  GraphQLError,
  getNamedType,
  TypeInfo,
  visit,
  visitWithTypeInfo,
} from 'graphql';
import type { Route } from '../router.js';
import { error, type GuardDeps, guard, rateHeaders } from './api.js';
import { type Caller, hasPermission } from './auth.js';
import { readQuery } from './graphql-documents.js';
import { queryLimits } from './graphql-limits.js';
import { githubGraphqlSchema } from './graphql-schema.js';
import { publicKeyOf } from './shapes.js';
import type { GithubState } from './state.js';
import type { Level, Repo } from './world.js';

/**
 * The slice of GitHub's GraphQL API the scanner uses (batched `repository(owner:, name:)` lookups
 * of deploy keys and outside collaborators, and `rateLimit`), served at `/api/graphql` (where
 * Octokit posts for a GHES base URL of `…/api/v3`) and checked as GitHub checks a call:
 * - validated against GitHub's published schema (`@octokit/graphql-schema`): a field, argument or
 *   type github.com does not have is refused with the validation errors, HTTP 200, no `data`;
 * - pagination boundaries and the 500,000-node limit, computed as GitHub documents them
 *   (`graphql-limits.ts`), refused before execution;
 * - field permissions like GitHub's: a field the installation may not read is null with a
 *   FORBIDDEN error; an unknown repository is null with NOT_FOUND.
 * Fields of GitHub's schema that the emulator does not serve are refused by name rather than
 * answered with made-up nulls.
 */
const SERVED: Record<string, readonly string[]> = {
  Query: ['repository', 'rateLimit'],
  Repository: [
    'id',
    'databaseId',
    'name',
    'nameWithOwner',
    'isPrivate',
    'isArchived',
    'deployKeys',
    'collaborators',
  ],
  DeployKeyConnection: ['totalCount', 'nodes', 'edges', 'pageInfo'],
  DeployKeyEdge: ['cursor', 'node'],
  DeployKey: ['id', 'key', 'readOnly', 'title', 'verified', 'createdAt'],
  RepositoryCollaboratorConnection: ['totalCount', 'nodes', 'edges', 'pageInfo'],
  RepositoryCollaboratorEdge: ['cursor', 'node', 'permission'],
  User: ['id', 'databaseId', 'login', 'name', 'url'],
  PageInfo: ['hasNextPage', 'hasPreviousPage', 'endCursor', 'startCursor'],
  RateLimit: ['cost', 'limit', 'nodeCount', 'remaining', 'resetAt', 'used'],
};

/**
 * By document: a scanner sends one query text again and again with other variables, and readQuery
 * hands back the same parsed document for it; the fields it selects do not depend on the variables.
 */
const unservedByDoc = new WeakMap<DocumentNode, string[]>();

/** Fields the query selects that exist on GitHub but that the emulator does not serve. */
function unservedFields(doc: DocumentNode): string[] {
  let known = unservedByDoc.get(doc);
  if (!known) {
    known = selectedUnserved(doc);
    unservedByDoc.set(doc, known);
  }
  return known;
}

function selectedUnserved(doc: DocumentNode): string[] {
  const info = new TypeInfo(githubGraphqlSchema());
  const out = new Set<string>();
  visit(
    doc,
    visitWithTypeInfo(info, {
      Field(node) {
        const parent = info.getParentType();
        const name = node.name.value;
        if (!parent || name.startsWith('__')) return;
        const named = getNamedType(parent);
        if (!SERVED[named.name]?.includes(name)) out.add(`${named.name}.${name}`);
      },
    }),
  );
  return [...out];
}

const ROLE_TO_ENUM: Record<string, string> = {
  admin: 'ADMIN',
  maintain: 'MAINTAIN',
  write: 'WRITE',
  triage: 'TRIAGE',
  read: 'READ',
};

interface PageArgs {
  first?: number | null;
  after?: string | null;
  last?: number | null;
  before?: string | null;
}

const decodeCursor = (c: string) => Number(Buffer.from(c, 'base64').toString('utf8').replace('cursor:', ''));

/** Relay paging over a list: `first`/`after` from the front, `last`/`before` from the back. */
function page<T>(items: T[], args: PageArgs) {
  let start = args.after ? decodeCursor(args.after) + 1 : 0;
  let end = args.before ? decodeCursor(args.before) : items.length;
  if (args.first != null) end = Math.min(end, start + args.first);
  else if (args.last != null) start = Math.max(start, end - args.last);
  const slice = items.slice(start, end);
  const cursor = (i: number) => Buffer.from(`cursor:${start + i}`).toString('base64');
  return {
    totalCount: items.length,
    slice,
    cursor,
    pageInfo: {
      hasNextPage: end < items.length,
      hasPreviousPage: start > 0,
      startCursor: slice.length > 0 ? cursor(0) : null,
      endCursor: slice.length > 0 ? cursor(slice.length - 1) : null,
    },
  };
}

interface Ctx {
  state: GithubState;
  caller: Caller;
  origin: string;
}

function need(ctx: Ctx, perm: string, level: Level, scope: string) {
  const ok =
    ctx.caller.kind === 'installation'
      ? hasPermission(ctx.caller.token.permissions, perm, level)
      : ctx.caller.kind === 'classic' && ctx.caller.scopes.includes(scope);
  if (!ok)
    throw new GraphQLError('Resource not accessible by integration', { extensions: { type: 'FORBIDDEN' } });
}

function repositoryNode(r: Repo, ctx: Ctx) {
  const s = ctx.state;
  return {
    id: Buffer.from(`010:Repository${r.id}`).toString('base64'),
    databaseId: r.id,
    name: r.name,
    nameWithOwner: `${s.org.login}/${r.name}`,
    isPrivate: r.private,
    isArchived: r.archived,
    // REST's equivalent (GET /repos/{owner}/{repo}/keys) needs repository administration: read.
    deployKeys: (args: PageArgs) => {
      need(ctx, 'administration', 'read', 'repo');
      const p = page(r.deploy_keys, args);
      const nodes = p.slice.map((k) => ({
        id: Buffer.from(`09:DeployKey${k.id}`).toString('base64'),
        key: publicKeyOf(k.id),
        readOnly: k.read_only,
        title: k.title,
        verified: k.verified,
        createdAt: k.created_at,
      }));
      return {
        totalCount: p.totalCount,
        nodes,
        edges: nodes.map((node, i) => ({ cursor: p.cursor(i), node })),
        pageInfo: p.pageInfo,
      };
    },
    // REST's equivalent (GET /repos/{owner}/{repo}/collaborators) needs repository metadata: read.
    collaborators: (args: PageArgs & { affiliation?: string }) => {
      need(ctx, 'metadata', 'read', 'repo');
      // An outside collaborator is anyone with access who is not an org member.
      const isOutside = (login: string) => {
        const role = s.userByLogin(login)?.role;
        return role !== 'admin' && role !== 'member';
      };
      const people =
        args.affiliation === 'OUTSIDE' ? r.collaborators.filter((c) => isOutside(c.login)) : r.collaborators;
      const p = page(people, args);
      const userNode = (login: string) => {
        const u = s.userByLogin(login);
        return {
          id: Buffer.from(`04:User${u?.id ?? 0}`).toString('base64'),
          databaseId: u?.id ?? null,
          login,
          name: u?.name ?? null,
          url: `${ctx.origin}/${login}`,
        };
      };
      const edges = p.slice.map((c, i) => ({
        cursor: p.cursor(i),
        node: userNode(c.login),
        permission: ROLE_TO_ENUM[c.permission],
      }));
      return { totalCount: p.totalCount, nodes: edges.map((e) => e.node), edges, pageInfo: p.pageInfo };
    },
  };
}

export function graphqlRoute(deps: GuardDeps): Route {
  return {
    service: 'github',
    method: 'POST',
    pattern: '/api/graphql',
    // GraphQL answers a bad or expired token as REST does: 401 "Bad credentials" (guard).
    faults: { tokenExpired: () => error(401, 'Bad credentials') },
    handler: async (req) => {
      let body: { query?: string; variables?: Record<string, unknown> | null; operationName?: string | null };
      try {
        body = JSON.parse(req.body.toString('utf8'));
      } catch {
        return {
          status: 400,
          body: { message: 'Problems parsing JSON', documentation_url: 'https://docs.github.com/graphql' },
        };
      }
      if (typeof body.query !== 'string') {
        return {
          status: 200,
          body: { errors: [{ message: 'A query attribute must be specified and must be a string.' }] },
        };
      }
      const read = readQuery(body.query);
      if (!read.ok)
        return { status: 200, body: { errors: [{ message: read.parseError, type: 'PARSE_ERROR' }] } };
      const { doc, invalid } = read;
      const schema = githubGraphqlSchema();
      const variables = body.variables ?? {};
      const limits = invalid.length === 0 ? queryLimits(schema, doc, variables, body.operationName) : null;
      const g = guard(req, { resource: 'graphql', cost: limits?.cost ?? 1 }, deps);
      if (!g.ok) return g.response;
      const refuse = (errors: unknown[]) => ({ status: 200, headers: g.headers, body: { errors } });
      if (invalid.length > 0) {
        return refuse(invalid.map((e) => ({ message: e.message, locations: e.locations })));
      }
      if (limits && limits.issues.length > 0) return refuse(limits.issues);
      const unserved = unservedFields(doc);
      if (unserved.length > 0) {
        return refuse(
          unserved.map((f) => ({
            type: 'EMULATOR_UNSUPPORTED',
            message: `the emulator does not serve ${f}`,
          })),
        );
      }
      const ctx: Ctx = { state: g.state, caller: g.caller, origin: req.origin };
      const rootValue = {
        repository: ({ owner, name }: { owner: string; name: string }) => {
          const repo =
            owner.toLowerCase() === g.state.org.login.toLowerCase() ? g.state.repoByName(name) : undefined;
          if (!repo) {
            throw new GraphQLError(`Could not resolve to a Repository with the name '${owner}/${name}'.`, {
              extensions: { type: 'NOT_FOUND' },
            });
          }
          return repositoryNode(repo, ctx);
        },
        rateLimit: () => {
          const b = g.state.rate.graphql;
          const h = rateHeaders(b, 'graphql');
          return {
            cost: limits?.cost ?? 1,
            limit: b.limit,
            nodeCount: limits?.nodes ?? 0,
            remaining: Number(h['x-ratelimit-remaining']),
            resetAt: new Date(b.resetAt).toISOString().replace(/\.\d{3}Z$/, 'Z'),
            used: b.used,
          };
        },
      };
      // The document parsed and validated above: execute it (graphql() would parse and validate again).
      const result = await execute({
        schema,
        document: doc,
        rootValue,
        contextValue: ctx,
        variableValues: variables,
        operationName: body.operationName ?? null,
      });
      const out: Record<string, unknown> = { data: result.data ?? null };
      if (result.errors?.length) {
        // GitHub puts the error type at the top level of each error, not under `extensions`.
        out.errors = result.errors.map((e) => ({
          type: (e.extensions?.type as string | undefined) ?? 'INTERNAL',
          path: e.path,
          locations: e.locations,
          message: e.message,
        }));
      }
      return { status: 200, headers: g.headers, body: out };
    },
  };
}
