import type { IdentityMatch } from './model.js';

/** What a governance entry can match an identity on (all from the model, none platform-specific). */
export interface IdentityFacts {
  platform: string;
  tenant: string;
  kind: string;
  nativeId: string;
  name: string | null;
  publisherName: string | null;
  publisherId: string | null;
}

const same = (a: string | null, b: string) => a !== null && a.toLowerCase() === b.toLowerCase();

/** `*` any run of characters, `?` one; the rest literal; case-insensitive, whole name. */
const globs = new Map<string, RegExp>();
function globRegExp(glob: string): RegExp {
  const cached = globs.get(glob);
  if (cached) return cached;
  const body = [...glob]
    .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[\\^$.|+()[\]{}]/g, '\\$&')))
    .join('');
  const re = new RegExp(`^${body}$`, 'is');
  // Patterns come from the governance file: a handful, each compiled once.
  globs.set(glob, re);
  return re;
}

/**
 * Whether `m` matches the identity: every key given must match (see `IdentityMatch`). A minimal
 * matcher for reviews recorded in the governance file; the governance loader's matcher
 * (src/governance/match.ts) supersedes it once merged.
 */
export function matchesIdentity(m: IdentityMatch, f: IdentityFacts): boolean {
  if (m.platform !== undefined && m.platform !== f.platform) return false;
  if (m.tenant !== undefined && !same(f.tenant, m.tenant)) return false;
  if (m.id !== undefined && !same(f.nativeId, m.id)) return false;
  if (m.kind !== undefined && m.kind !== f.kind) return false;
  if (m.publisher !== undefined && !same(f.publisherName, m.publisher) && !same(f.publisherId, m.publisher))
    return false;
  if (m.name !== undefined && (f.name === null || !globRegExp(m.name).test(f.name))) return false;
  return Object.values(m).some((v) => v !== undefined);
}
