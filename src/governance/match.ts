import type { IdentityMatch } from './model.js';

/** What an entry is matched against: the identity as the model records it. */
export interface MatchTarget {
  platform: string;
  tenant: string;
  kind: string;
  nativeId: string;
  name: string | null;
  /** The publisher's name as the model records it. */
  publisher: string | null;
  /** The publisher's id (verified publisher id, publisher tenant, …), which a `publisher` entry may name too. */
  publisherId?: string | null;
}

const globs = new Map<string, RegExp>();

/** `*` any run of characters, `?` one; everything else literal; whole name, case-insensitive. */
export function globRegExp(glob: string): RegExp {
  let re = globs.get(glob);
  if (!re) {
    const body = [...glob]
      .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[\\^$.|+()[\]{}]/g, '\\$&')))
      .join('');
    re = new RegExp(`^${body}$`, 'is');
    globs.set(glob, re);
  }
  return re;
}

const same = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

/**
 * Whether `m` applies to `t`: every key given must match. Ids, kinds, platforms, tenants and publishers
 * compare exactly but case-insensitively (GitHub logins and Google emails are case-insensitive; GUIDs
 * are written in either case); `name` is a glob. An identity without a display name or publisher never
 * matches a `name` or `publisher` pattern.
 */
export function matchesIdentity(m: IdentityMatch, t: MatchTarget): boolean {
  // The file's schema requires a key; an entry built in code without one matches nothing, not everything.
  if (Object.values(m).every((v) => v === undefined)) return false;
  if (m.platform !== undefined && !same(m.platform, t.platform)) return false;
  if (m.tenant !== undefined && !same(m.tenant, t.tenant)) return false;
  if (m.id !== undefined && !same(m.id, t.nativeId)) return false;
  if (m.kind !== undefined && !same(m.kind, t.kind)) return false;
  if (
    m.publisher !== undefined &&
    !(t.publisher !== null && same(m.publisher, t.publisher)) &&
    !(t.publisherId != null && same(m.publisher, t.publisherId))
  )
    return false;
  if (m.name !== undefined && (t.name === null || !globRegExp(m.name).test(t.name))) return false;
  return true;
}

/**
 * Entries looked up per identity: entries naming a platform and id sit in a map (a file may list
 * thousands of approved installs), the pattern entries are tried in order. Results keep file order.
 */
export class EntryIndex<E extends { match: IdentityMatch }> {
  private readonly byId = new Map<string, { entry: E; order: number }[]>();
  private readonly patterns: { entry: E; order: number }[] = [];
  /** Answers per target object (`matchTarget` gives one per identity bundle). */
  private readonly found = new WeakMap<MatchTarget, E[]>();

  constructor(entries: readonly E[]) {
    entries.forEach((entry, order) => {
      const { platform, id } = entry.match;
      if (platform !== undefined && id !== undefined) {
        const key = `${platform.toLowerCase()}\u0000${id.toLowerCase()}`;
        const list = this.byId.get(key) ?? [];
        list.push({ entry, order });
        this.byId.set(key, list);
      } else {
        this.patterns.push({ entry, order });
      }
    });
  }

  /** Every entry that applies to `t`, in file order. */
  find(t: MatchTarget): E[] {
    let hits = this.found.get(t);
    if (!hits) {
      hits = this.lookup(t);
      this.found.set(t, hits);
    }
    return hits;
  }

  private lookup(t: MatchTarget): E[] {
    const exact = this.byId.get(`${t.platform.toLowerCase()}\u0000${t.nativeId.toLowerCase()}`) ?? [];
    const hits = [...exact, ...this.patterns].filter((x) => matchesIdentity(x.entry.match, t));
    if (exact.length > 0 && this.patterns.length > 0) hits.sort((a, b) => a.order - b.order);
    return hits.map((x) => x.entry);
  }
}
