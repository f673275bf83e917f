import { type DocumentNode, type GraphQLError, parse, validate } from 'graphql';
import { githubGraphqlSchema } from './graphql-schema.js';

/**
 * A GraphQL query text parsed and validated against GitHub's schema once, however many requests send
 * it: a scanner sends the same text again and again with other variables (a 100-alias deploy-key
 * count per 100 repositories), and parsing and validating it is most of the emulator's CPU per
 * request. Without this the rate-limit gate, the route and `graphql()` each parsed it again, and
 * the emulator's own time, which the latency it models does not include, held every other request.
 * What is answered does not change: the same document, the same validation errors.
 */
export type ReadQuery =
  | { ok: true; doc: DocumentNode; invalid: readonly GraphQLError[] }
  | { ok: false; parseError: string };

/** Query texts kept (a scan sends a handful of distinct ones). */
const KEPT = 64;
const cache = new Map<string, ReadQuery>();

export function readQuery(source: string): ReadQuery {
  const known = cache.get(source);
  if (known) return known;
  let read: ReadQuery;
  try {
    const doc = parse(source);
    read = { ok: true, doc, invalid: validate(githubGraphqlSchema(), doc) };
  } catch (err) {
    read = { ok: false, parseError: (err as Error).message };
  }
  if (cache.size >= KEPT) cache.delete(cache.keys().next().value as string);
  cache.set(source, read);
  return read;
}
