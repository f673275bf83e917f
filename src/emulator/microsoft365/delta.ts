import { createHash, randomBytes } from 'node:crypto';
import type { EmuRequest, EmuResponse } from '../router.js';
import type { Collection } from './directory.js';
import { graphError, ODataError, project, type QuerySpec, readQuery } from './odata.js';

/**
 * Graph delta queries (`GET /servicePrincipals/delta`, `GET /oauth2PermissionGrants/delta`), as
 * https://learn.microsoft.com/graph/delta-query-overview and the serviceprincipal-delta and
 * oauth2permissiongrant-delta reference pages describe them:
 *
 * - The initial request returns every object that exists, paged with `@odata.nextLink` ($skiptoken);
 *   the last page carries `@odata.deltaLink` ($deltatoken). `$deltatoken=latest` ("sync from now",
 *   supported for resources stored in Entra ID) returns only a deltaLink and no resource data.
 * - A deltaLink request returns what was created or updated since that token and what was removed,
 *   as `{ id, "@removed": { reason } }`; then a new deltaLink. A created object comes in full ("their
 *   standard representation"), an updated one as "their id with at least the properties that have been
 *   updated" (delta-query-overview, "Resource representation in the delta query response"): the
 *   emulator sends only those, so a client that would take an update for the whole object fails here.
 * - "If you use any query parameter (other than $deltatoken and $skiptoken), you must specify it in the
 *   initial delta request": the tokens carry `$select`, and the links repeat no other option.
 * - "$select ... The id property is always returned."; `$filter` only by id (not served here: 501).
 * - Token duration: "For directory objects, the limit is seven days"; "In case of an expired token,
 *   the service should respond with a 40X-series error with error codes such as syncStateNotFound".
 *   The emulator answers an expired or unknown token with 410 `syncStateNotFound` and a Location of the
 *   initial request, as the overview's "Synchronization reset" describes (410 Gone, "a Location header
 *   containing a request URL with an empty $deltaToken (same as the initial query)").
 *
 * A token records the state of the collection when it was issued (object id → hash of what `$select`
 * shows), so that a change of world between two rounds shows as the changes of that world.
 */
export const DELTA_TOKEN_LIFETIME_MS = 7 * 86_400_000;

/** Tokens kept per collection; an older one answers as expired (Graph's cache is finite too). */
const MAX_TOKENS = 256;

/** Objects per page of a delta round. */
export const DELTA_PAGE_SIZE = 200;

interface TokenState {
  issuedAt: number;
  select: string[] | null;
  /** Object id → hash of what `$select` shows of it. */
  hashes: Map<string, string>;
  /** Object id → what `$select` showed of it, to tell which properties an update changed. */
  views?: Map<string, Record<string, unknown>>;
}

interface Round {
  values: Record<string, unknown>[];
  deltaToken: string;
  select: string[] | null;
}

export class DeltaTracker {
  private readonly tokens = new Map<string, TokenState>();
  private readonly rounds = new Map<string, Round>();

  constructor(private readonly now: () => number = Date.now) {}

  issue(state: Omit<TokenState, 'issuedAt'>): string {
    const token = randomBytes(12).toString('base64url');
    this.tokens.set(token, { ...state, issuedAt: this.now() });
    while (this.tokens.size > MAX_TOKENS) this.tokens.delete(this.tokens.keys().next().value!);
    return token;
  }

  /** The token's state, or undefined when unknown or past its lifetime. */
  lookUp(token: string): TokenState | undefined {
    const t = this.tokens.get(token);
    if (!t || this.now() - t.issuedAt > DELTA_TOKEN_LIFETIME_MS) return undefined;
    return t;
  }

  startRound(round: Round): string {
    const skip = randomBytes(12).toString('base64url');
    this.rounds.set(skip, round);
    while (this.rounds.size > MAX_TOKENS) this.rounds.delete(this.rounds.keys().next().value!);
    return skip;
  }

  round(skip: string): Round | undefined {
    return this.rounds.get(skip);
  }
}

export interface DeltaOptions<T extends { id: string }> {
  req: EmuRequest;
  /** The entity's spec; only `$select` is taken from the request. */
  spec: QuerySpec;
  collection: Collection<T>;
  build: (item: T) => Record<string, unknown>;
  /** `servicePrincipals` */
  contextPath: string;
  tracker: DeltaTracker;
  /** `changed` for objects that go to deleted items (restorable), `deleted` otherwise (delta-query-overview). */
  removedReason: 'changed' | 'deleted';
}

const hashOf = (o: Record<string, unknown>) =>
  createHash('sha256').update(JSON.stringify(o)).digest('base64url').slice(0, 22);

export function deltaPage<T extends { id: string }>(o: DeltaOptions<T>): EmuResponse {
  const { req, tracker } = o;
  const base = `${req.origin}${req.path}`;
  const expired = () =>
    graphError(
      req,
      410,
      'syncStateNotFound',
      'The delta token has expired or is not valid. Start a new round of change tracking with an initial delta request.',
      { location: base },
    );
  const skip = req.query.get('$skiptoken');
  if (skip !== null) {
    // `{round}.{position}`: opaque to clients, who follow the nextLink verbatim.
    const [id, at] = skip.split('.');
    const round = id ? tracker.round(id) : undefined;
    const position = Number(at);
    if (!round || !Number.isInteger(position) || position < 0) return expired();
    return page(o, round, id!, position);
  }
  for (const key of req.query.keys()) {
    if (key === '$filter') {
      throw new ODataError(501, 'NotImplemented', 'The emulator does not serve $filter on delta queries.');
    }
  }
  const deltaToken = req.query.get('$deltatoken');
  const rest = new URLSearchParams(req.query);
  rest.delete('$deltatoken');
  const select = readQuery({ ...req, query: rest }, { ...o.spec, options: ['$select'] }).select;
  const items: T[] = [];
  for (let i = 0; i < o.collection.slots; i++) {
    const item = o.collection.at(i);
    if (item !== undefined) items.push(item);
  }
  // "The id property is always returned." Each object is built once per request, with the $select of
  // the token's initial request on a deltaLink (its options are encoded in it).
  const viewsOf = (fields: string[] | null) => {
    const views = new Map<string, Record<string, unknown>>();
    const hashes = new Map<string, string>();
    const names = fields ? ['id', ...fields.filter((s) => s !== 'id')] : null;
    for (const item of items) {
      const view = project(o.build(item), names);
      views.set(item.id, view);
      hashes.set(item.id, hashOf(view));
    }
    return { views, hashes };
  };
  if (deltaToken === 'latest' || deltaToken === null) {
    const { views, hashes } = viewsOf(select);
    const token = tracker.issue({ select, hashes, views });
    if (deltaToken === 'latest') return page(o, { values: [], deltaToken: token, select }, null, 0);
    return startRound(o, [...views.values()], token, select);
  }
  const before = tracker.lookUp(deltaToken);
  if (!before) return expired();
  const { views: nowViews, hashes: now } = viewsOf(before.select);
  const values: Record<string, unknown>[] = [];
  for (const [id, shownNow] of nowViews) {
    if (before.hashes.get(id) === now.get(id)) continue;
    const was = before.views?.get(id);
    if (!before.hashes.has(id) || !was) {
      values.push(shownNow);
      continue;
    }
    // An update: its id and the properties whose value changed, no others.
    const update: Record<string, unknown> = { id };
    for (const [k, v] of Object.entries(shownNow))
      if (k !== 'id' && JSON.stringify(was[k] ?? null) !== JSON.stringify(v ?? null)) update[k] = v;
    values.push(update);
  }
  for (const id of before.hashes.keys()) {
    if (!now.has(id)) values.push({ id, '@removed': { reason: o.removedReason } });
  }
  const next = tracker.issue({ select: before.select, hashes: now, views: nowViews });
  return startRound(o, values, next, before.select);
}

function startRound<T extends { id: string }>(
  o: DeltaOptions<T>,
  values: Record<string, unknown>[],
  deltaToken: string,
  select: string[] | null,
): EmuResponse {
  const round = { values, deltaToken, select };
  return page(o, round, values.length <= DELTA_PAGE_SIZE ? null : o.tracker.startRound(round), 0);
}

/** One page of a round (`roundId` null: a round of one page). */
function page<T extends { id: string }>(
  o: DeltaOptions<T>,
  round: Round,
  roundId: string | null,
  at: number,
): EmuResponse {
  const { req } = o;
  const base = `${req.origin}${req.path}`;
  const values = round.values.slice(at, at + DELTA_PAGE_SIZE);
  const body: Record<string, unknown> = {
    '@odata.context': `${req.origin}/${o.spec.version}/$metadata#${o.contextPath}${round.select ? `(${round.select.join(',')})` : ''}`,
  };
  if (roundId !== null && at + DELTA_PAGE_SIZE < round.values.length) {
    body['@odata.nextLink'] = `${base}?$skiptoken=${roundId}.${at + DELTA_PAGE_SIZE}`;
  } else {
    body['@odata.deltaLink'] = `${base}?$deltatoken=${round.deltaToken}`;
  }
  body.value = values;
  return { status: 200, body };
}
