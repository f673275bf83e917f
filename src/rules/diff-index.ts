import type { AddedRecord, ScopeExpansion, SnapshotDiff } from '../diff/types.js';
import type { Identity } from '../model/index.js';

/** The parts of a diff the rules look up per identity bundle. */
export interface DiffIndex {
  /** The identity, if it appeared since the previous scan (baseline additions excluded). */
  addedIdentity(source: string, identityKey: string): AddedRecord<Identity> | undefined;
  /** Scope expansions of the identity's grants since the previous scan. */
  expansionsOf(source: string, identityKey: string): readonly ScopeExpansion[];
}

const id = (source: string, identityKey: string) => `${source}\u0000${identityKey}`;

export function indexDiff(diff: SnapshotDiff): DiffIndex {
  const added = new Map<string, AddedRecord<Identity>>();
  for (const a of diff.identities.added) if (!a.baseline) added.set(id(a.source, a.identityKey), a);
  const expansions = new Map<string, ScopeExpansion[]>();
  for (const e of diff.scopeExpansions) {
    const k = id(e.source, e.identityKey);
    const list = expansions.get(k);
    if (list) list.push(e);
    else expansions.set(k, [e]);
  }
  return {
    addedIdentity: (source, identityKey) => added.get(id(source, identityKey)),
    expansionsOf: (source, identityKey) => expansions.get(id(source, identityKey)) ?? [],
  };
}
