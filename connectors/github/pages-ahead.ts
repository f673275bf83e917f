/**
 * Reading a numbered REST list's later pages at once. GitHub's `Link` header names the `last` page of a
 * list paged by page number ("The link header ... `rel="last"`", docs: rest/using-the-rest-api/
 * using-pagination-in-the-rest-api), so after the first page every other page's URL is known: they are
 * read a few at a time instead of one round trip after another (a 5,000-repository org lists 50 pages
 * before its per-repository reads can start). Lists paged by cursor (`after`/`before`) have no `last`
 * and are followed one `next` at a time, as before.
 */

/**
 * Pages read at once per list (each list's own; the scan's connection pool is shared). 8: an org of
 * 1,000 repositories lists its 9 later pages in 2 round trips rather than 3, and every per-repository
 * fan-out waits for that list; far below GitHub's 100 concurrent requests.
 */
export const PAGES_AHEAD = 8;
/** More pages than this (100 items each) are followed one by one: not a list this scanner expects. */
const MAX_PAGES_AHEAD = 10_000;

/** The `rel` → URL pairs of a `Link` header. */
export function parseLink(header: string | undefined | null): Map<string, string> {
  const rels = new Map<string, string>();
  for (const part of (header ?? '').split(',')) {
    const m = /<([^>]*)>\s*;\s*rel="([^"]+)"/.exec(part);
    if (m) for (const rel of m[2]!.split(/\s+/)) rels.set(rel, m[1]!);
  }
  return rels;
}

/**
 * The URLs of pages 2…last of the list whose first page was `firstUrl` with `link`, or null when they
 * cannot be named safely: no `last`, a `next` that is not page 2 of the same list, or `last` differing
 * from `next` in anything but the page number.
 */
export function laterPages(firstUrl: string, link: string | undefined | null): string[] | null {
  const rels = parseLink(link);
  const next = rels.get('next');
  const last = rels.get('last');
  if (!next || !last) return null;
  let nextUrl: URL;
  let lastUrl: URL;
  let first: URL;
  try {
    first = new URL(firstUrl);
    nextUrl = new URL(next, first);
    lastUrl = new URL(last, first);
  } catch {
    return null;
  }
  if (first.searchParams.has('page') && first.searchParams.get('page') !== '1') return null;
  if (nextUrl.origin !== first.origin || nextUrl.pathname !== first.pathname) return null;
  if (nextUrl.searchParams.get('page') !== '2') return null;
  const lastPage = Number(lastUrl.searchParams.get('page'));
  if (!Number.isInteger(lastPage) || lastPage < 2 || lastPage > MAX_PAGES_AHEAD) return null;
  const withoutPage = (u: URL) => {
    const c = new URL(u);
    c.searchParams.delete('page');
    c.searchParams.sort();
    return c.href;
  };
  if (withoutPage(lastUrl) !== withoutPage(nextUrl)) return null;
  const urls: string[] = [];
  for (let n = 2; n <= lastPage; n++) {
    const u = new URL(nextUrl);
    u.searchParams.set('page', String(n));
    urls.push(u.href);
  }
  return urls;
}

/**
 * `read(url)` of every URL, at most `window` under way at once, yielded in the URLs' order. A failure
 * is thrown when its turn comes (the reads after it are left to finish unobserved).
 */
export async function* readInOrder<R>(
  urls: readonly string[],
  window: number,
  read: (url: string) => Promise<R>,
): AsyncGenerator<R> {
  const pending: Array<Promise<R>> = [];
  let started = 0;
  const startNext = () => {
    const p = read(urls[started]!);
    p.catch(() => {});
    pending.push(p);
    started += 1;
  };
  while (started < urls.length && pending.length < window) startNext();
  while (pending.length > 0) {
    const value = await pending.shift()!;
    if (started < urls.length) startNext();
    yield value;
  }
}
