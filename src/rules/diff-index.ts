import type { AddedRecord, CredentialRenewal, ScopeExpansion, SnapshotDiff } from '../diff/types.js';
import type { Credential, Identity } from '../model/index.js';

/** The parts of a diff the rules look up per identity bundle. */
export interface DiffIndex {
  /** The identity, if it appeared since the previous scan (baseline additions excluded). */
  addedIdentity(source: string, identityKey: string): AddedRecord<Identity> | undefined;
  /** Scope expansions of the identity's grants since the previous scan. */
  expansionsOf(source: string, identityKey: string): readonly ScopeExpansion[];
  /** Credentials added to the identity since the previous scan, renewals excluded (baseline ones included). */
  addedCredentialsOf(source: string, identityKey: string): readonly AddedRecord<Credential>[];
  /** Credentials of the identity renewed since the previous scan (see `pairRenewals`). */
  renewalsOf(source: string, identityKey: string): readonly CredentialRenewal[];
}

function groupBy<T extends { source: string; identityKey: string }>(items: readonly T[]): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const item of items) {
    const k = id(item.source, item.identityKey);
    const list = out.get(k);
    if (list) list.push(item);
    else out.set(k, [item]);
  }
  return out;
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
  const credentials = groupBy(diff.credentials.added);
  const renewals = groupBy(diff.credentials.renewed);
  return {
    addedCredentialsOf: (source, identityKey) => credentials.get(id(source, identityKey)) ?? [],
    renewalsOf: (source, identityKey) => renewals.get(id(source, identityKey)) ?? [],
    addedIdentity: (source, identityKey) => added.get(id(source, identityKey)),
    expansionsOf: (source, identityKey) => expansions.get(id(source, identityKey)) ?? [],
  };
}
