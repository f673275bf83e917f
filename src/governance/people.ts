import type { PrincipalRef } from '../model/index.js';
import type { IdentityBundle } from '../store/store.js';
import type { Governance, PersonAccount } from './model.js';

/**
 * Whether registered owners are still with the organisation, as the platforms say: the snapshot's
 * people (identity owners, the users delegated grants act for, who granted what) carry each
 * connector's user status — GitHub org membership, Entra `accountEnabled`, Google Workspace
 * `suspended`/deleted — in `PrincipalRef.active`. Nothing here knows a platform's API: a person is
 * found by the platform's user id or by the name the connector records (login, UPN, primary email).
 */
export interface PersonDirectory {
  /** true = active, false = left (disabled, suspended, deleted, no longer a member), null = not known. */
  status(account: PersonAccount): boolean | null;
}

export const UNKNOWN_PEOPLE: PersonDirectory = { status: () => null };

const key = (platform: string, id: string) => `${platform.toLowerCase()}\u0000${id.toLowerCase()}`;

/** The accounts the governance file names, to look for in the snapshot. */
export function registeredAccounts(governance: Governance): PersonAccount[] {
  return governance.owners.flatMap((o) => o.accounts);
}

/**
 * Reads the statuses of `accounts` (only those: the directory stays as small as the governance file)
 * from a snapshot's bundles. Where records disagree (a scan never should), "left" wins over "active"
 * only if no record says active: an owner is not declared departed on one stale record.
 */
export async function collectPeople(
  bundles: AsyncIterable<IdentityBundle> | Iterable<IdentityBundle>,
  accounts: readonly PersonAccount[],
): Promise<PersonDirectory> {
  const wanted = new Set(accounts.map((a) => key(a.platform, a.id)));
  const found = new Map<string, boolean>();
  if (wanted.size === 0) return UNKNOWN_PEOPLE;
  const see = (platform: string, p: PrincipalRef | null | undefined) => {
    if (p?.type !== 'user' || typeof p.active !== 'boolean') return;
    for (const id of [p.id, p.name]) {
      if (!id) continue;
      const k = key(platform, id);
      if (!wanted.has(k)) continue;
      found.set(k, (found.get(k) ?? false) || p.active);
    }
  };
  for await (const b of bundles) {
    if (b.identity) for (const o of b.identity.owners) see(b.identity.platform, o);
    for (const g of b.grants) {
      see(g.platform, g.principal);
      see(g.platform, g.grantedBy);
    }
  }
  return { status: (a) => found.get(key(a.platform, a.id)) ?? null };
}
