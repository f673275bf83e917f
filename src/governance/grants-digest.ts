import { createHash } from 'node:crypto';
import type { Grant } from '../model/index.js';

/**
 * A digest of what an identity's grants reach: permission, access, breadth and target of each, order
 * and API noise (raw objects, usage) left out. Recorded with a review, it tells later whether the
 * grants changed since: a `reduce` decision whose grants are unchanged after its due date was not
 * carried out.
 */
export function grantsDigest(grants: readonly Grant[]): string {
  const lines = grants
    .map((g) =>
      [
        g.permission.resource ?? '',
        g.permission.id,
        g.permission.access,
        g.target.breadth,
        g.target.id ?? '',
        g.target.count ?? '',
        [...g.target.resources].sort().join(','),
        g.principal?.id ?? '',
      ].join('|'),
    )
    .sort();
  const hash = createHash('sha256');
  for (const line of lines) hash.update(line).update('\n');
  return hash.digest('base64url').slice(0, 22);
}
