import {
  buildSchema,
  type DocumentNode,
  GraphQLError,
  type GraphQLSchema,
  graphql,
  Kind,
  parse,
  type SelectionSetNode,
  validate,
} from 'graphql';
import type { Route } from '../router.js';
import { type GuardDeps, guard, rateHeaders } from './api.js';
import { type Caller, hasPermission } from './auth.js';
import { publicKeyOf } from './shapes.js';
import type { GithubState } from './state.js';
import type { Level, Repo } from './world.js';

/**
 * The slice of GitHub's GraphQL API the scanner uses: batched `repository(owner:, name:)` lookups
 * of deploy keys and outside collaborators, and `rateLimit`. Served at `/api/graphql` (where
 * Octokit posts for a GHES base URL of `…/api/v3`). Field permissions are checked like GitHub's:
 * a field the installation may not read is null with a FORBIDDEN error; an unknown repository is
 * null with NOT_FOUND.
 */
const SDL = /* GraphQL */ `
  scalar DateTime
  scalar URI
  enum CollaboratorAffiliation { OUTSIDE DIRECT ALL }
  enum RepositoryPermission { ADMIN MAINTAIN WRITE TRIAGE READ }
  type PageInfo { hasNextPage: Boolean! hasPreviousPage: Boolean! endCursor: String startCursor: String }
  type DeployKey { id: ID! key: String! readOnly: Boolean! title: String! verified: Boolean! enabled: Boolean! createdAt: DateTime! }
  type DeployKeyEdge { cursor: String! node: DeployKey }
  type DeployKeyConnection { totalCount: Int! nodes: [DeployKey] edges: [DeployKeyEdge] pageInfo: PageInfo! }
  type User { id: ID! databaseId: Int login: String! name: String url: URI! }
  type RepositoryCollaboratorEdge { cursor: String! node: User! permission: RepositoryPermission! }
  type RepositoryCollaboratorConnection { totalCount: Int! nodes: [User] edges: [RepositoryCollaboratorEdge] pageInfo: PageInfo! }
  type Repository {
    id: ID!
    databaseId: Int
    name: String!
    nameWithOwner: String!
    isPrivate: Boolean!
    isArchived: Boolean!
    deployKeys(first: Int, after: String, last: Int, before: String): DeployKeyConnection!
    collaborators(affiliation: CollaboratorAffiliation, first: Int, after: String, last: Int, before: String): RepositoryCollaboratorConnection
  }
  type RateLimit { cost: Int! limit: Int! nodeCount: Int! remaining: Int! resetAt: DateTime! used: Int! }
  type Query {
    repository(owner: String!, name: String!): Repository
    rateLimit(dryRun: Boolean = false): RateLimit
  }
`;

let schema: GraphQLSchema | undefined;
const getSchema = () => {
  schema ??= buildSchema(SDL);
  return schema;
};

/** GitHub's cost rule: connection requests (each `first`/`last`, multiplied by parents) / 100, at least 1. */
export function queryCost(doc: DocumentNode): { cost: number; nodes: number } {
  let requests = 0;
  let nodes = 0;
  const walk = (set: SelectionSetNode | undefined, multiplier: number) => {
    if (!set) return;
    for (const sel of set.selections) {
      if (sel.kind === Kind.FIELD) {
        const size = sel.arguments?.find((a) => a.name.value === 'first' || a.name.value === 'last');
        if (size && size.value.kind === Kind.INT) {
          requests += multiplier;
          const n = Number(size.value.value) * multiplier;
          nodes += n;
          walk(sel.selectionSet, n);
        } else {
          walk(sel.selectionSet, multiplier);
        }
      } else if (sel.kind === Kind.INLINE_FRAGMENT) {
        walk(sel.selectionSet, multiplier);
      }
    }
  };
  for (const def of doc.definitions) if (def.kind === Kind.OPERATION_DEFINITION) walk(def.selectionSet, 1);
  return { cost: Math.max(1, Math.round(requests / 100)), nodes };
}

const ROLE_TO_ENUM: Record<string, string> = {
  admin: 'ADMIN',
  maintain: 'MAINTAIN',
  write: 'WRITE',
  triage: 'TRIAGE',
  read: 'READ',
};

function page<T>(items: T[], args: { first?: number | null; after?: string | null }) {
  const start = args.after
    ? Number(Buffer.from(args.after, 'base64').toString('utf8').replace('cursor:', '')) + 1
    : 0;
  const size = Math.min(Math.max(args.first ?? 100, 0), 100);
  const slice = items.slice(start, start + size);
  const cursor = (i: number) => Buffer.from(`cursor:${start + i}`).toString('base64');
  return {
    totalCount: items.length,
    slice,
    cursor,
    pageInfo: {
      hasNextPage: start + size < items.length,
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
    deployKeys: (args: { first?: number; after?: string }) => {
      need(ctx, 'administration', 'read', 'repo');
      const p = page(r.deploy_keys, args);
      const nodes = p.slice.map((k) => ({
        id: Buffer.from(`09:DeployKey${k.id}`).toString('base64'),
        key: publicKeyOf(k.id),
        readOnly: k.read_only,
        title: k.title,
        verified: k.verified,
        enabled: k.enabled,
        createdAt: k.created_at,
      }));
      return {
        totalCount: p.totalCount,
        nodes,
        edges: nodes.map((node, i) => ({ cursor: p.cursor(i), node })),
        pageInfo: p.pageInfo,
      };
    },
    collaborators: (args: { affiliation?: string; first?: number; after?: string }) => {
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
    handler: async (req) => {
      let body: { query?: string; variables?: Record<string, unknown>; operationName?: string };
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
      let doc: DocumentNode;
      try {
        doc = parse(body.query);
      } catch (err) {
        return { status: 200, body: { errors: [{ message: (err as Error).message, type: 'PARSE_ERROR' }] } };
      }
      const invalid = validate(getSchema(), doc);
      const { cost, nodes } = invalid.length === 0 ? queryCost(doc) : { cost: 1, nodes: 0 };
      const g = guard(req, { resource: 'graphql', cost }, deps);
      if (!g.ok) return g.response;
      if (invalid.length > 0) {
        return {
          status: 200,
          headers: g.headers,
          body: { errors: invalid.map((e) => ({ message: e.message, locations: e.locations })) },
        };
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
            cost,
            limit: b.limit,
            nodeCount: nodes,
            remaining: Number(h['x-ratelimit-remaining']),
            resetAt: new Date(b.resetAt).toISOString().replace(/\.\d{3}Z$/, 'Z'),
            used: b.used,
          };
        },
      };
      const result = await graphql({
        schema: getSchema(),
        source: body.query,
        rootValue,
        contextValue: ctx,
        variableValues: body.variables ?? null,
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
