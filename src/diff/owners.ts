import type { Identity } from '../model/index.js';
import type { OwnerChange } from './types.js';

/** Owners added, removed or gone inactive between two versions of an identity; null when none. */
export function ownerChange(
  source: string,
  identityKey: string,
  before: Identity,
  after: Identity,
): OwnerChange | null {
  const was = new Map(before.owners.map((o) => [o.id, o]));
  const now = new Map(after.owners.map((o) => [o.id, o]));
  const added = after.owners.filter((o) => !was.has(o.id));
  const removed = before.owners.filter((o) => !now.has(o.id));
  const becameInactive = after.owners.filter(
    (o) => o.active === false && was.has(o.id) && was.get(o.id)!.active !== false,
  );
  if (added.length === 0 && removed.length === 0 && becameInactive.length === 0) return null;
  return {
    source,
    identityKey,
    identity: after,
    added,
    removed,
    becameInactive,
    activeOwners: after.owners.filter((o) => o.active === true).length,
  };
}
