import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SnapshotStore } from '../../src/store/store.js';
import { ROOT } from '../support/cli.js';
import { fillDocumentedHistory } from '../support/documented-history.js';
import { STORE_KINDS, storeFactory } from './store-factory.js';

/**
 * The example queries in docs/database.md run against a real store of each kind, so the documentation
 * cannot drift. PostgreSQL runs the same queries, except the two in SQLite's own functions, whose
 * PostgreSQL spellings (the page's `postgresql` blocks) run instead.
 */
const DOC = readFileSync(join(ROOT, 'docs', 'database.md'), 'utf8');
const QUERIES = [...DOC.matchAll(/```sql\n([\s\S]*?)```/g)].map((m) => m[1]!.trim());
const PG_SPELLINGS = [...DOC.matchAll(/```postgresql\n([\s\S]*?)```/g)].map((m) => m[1]!.trim());
const SQLITE_ONLY = /json_extract|strftime|json_each/;

describe.each(STORE_KINDS)('documented example queries (%s)', (kind) => {
  const factory = storeFactory(kind);
  let store: SnapshotStore;
  const queries =
    kind === 'sqlite' ? QUERIES : [...QUERIES.filter((q) => !SQLITE_ONLY.test(q)), ...PG_SPELLINGS];
  beforeAll(async () => {
    store = await factory.open();
    await fillDocumentedHistory(store);
  });

  afterAll(async () => {
    await store.close();
  });

  it('the page has example queries, and a PostgreSQL spelling for each SQLite-only one', () => {
    expect(QUERIES.length).toBeGreaterThanOrEqual(6);
    expect(PG_SPELLINGS.length).toBe(QUERIES.filter((q) => SQLITE_ONLY.test(q)).length);
  });

  it.each(queries.map((q, i) => [i + 1, q]))('query %i runs and answers', async (_n, sql) => {
    const rows = await factory.sql(store, sql as string);
    expect(rows.length).toBeGreaterThan(0);
  });
});
