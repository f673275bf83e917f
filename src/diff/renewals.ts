import type { Credential } from '../model/index.js';
import type { AddedRecord, CredentialRenewal, RemovedRecord } from './types.js';

/** Expiry as epoch ms; a credential that never expires sorts after every dated one. */
export function expiryMs(c: Credential): number {
  return c.expiresAt === null ? Number.POSITIVE_INFINITY : Date.parse(c.expiresAt);
}

/**
 * A renewal replaces a credential with one that expires later, on a date. Swapping a dated credential
 * for one that never expires is not a renewal: it is the hygiene problem the rules flag.
 */
export function expiresLater(after: Credential, before: Credential): boolean {
  return after.expiresAt !== null && expiryMs(after) > expiryMs(before);
}

/**
 * Pairs removed and added credentials of one identity and credential type into renewals: each removed
 * credential is matched with the earliest-expiring unmatched addition that expires later than it did.
 * Greedy in expiry order, which yields the most pairs; linear after sorting.
 */
export function pairRenewals(
  removed: RemovedRecord<Credential>[],
  added: AddedRecord<Credential>[],
): { renewed: CredentialRenewal[]; removed: RemovedRecord<Credential>[]; added: AddedRecord<Credential>[] } {
  if (removed.length === 0 || added.length === 0) return { renewed: [], removed, added };
  const r = [...removed].sort((x, y) => expiryMs(x.record) - expiryMs(y.record) || cmp(x.key, y.key));
  const a = added
    .filter((x) => x.record.expiresAt !== null)
    .sort((x, y) => expiryMs(x.record) - expiryMs(y.record) || cmp(x.key, y.key));
  const renewed: CredentialRenewal[] = [];
  const pairedRemoved = new Set<RemovedRecord<Credential>>();
  const pairedAdded = new Set<AddedRecord<Credential>>();
  let j = 0;
  for (const old of r) {
    const limit = expiryMs(old.record);
    while (j < a.length && expiryMs(a[j]!.record) <= limit) j++;
    if (j >= a.length) break;
    const next = a[j++]!;
    pairedRemoved.add(old);
    pairedAdded.add(next);
    renewed.push({
      source: old.source,
      identityKey: old.identityKey,
      credentialType: old.record.credentialType,
      beforeKey: old.key,
      afterKey: next.key,
      before: old.record,
      after: next.record,
      sameKey: false,
    });
  }
  return {
    renewed,
    removed: removed.filter((x) => !pairedRemoved.has(x)),
    added: added.filter((x) => !pairedAdded.has(x)),
  };
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
