import type { Person, PrincipalRef } from '../model/index.js';
import type { ScanSelection } from '../selection/scan-selection.js';
import {
  readSelectedPeople,
  readSelectedSnapshot,
  selectedPeopleDirectories,
} from '../selection/selection-reads.js';
import type { IdentityBundle, SnapshotStore } from '../store/store.js';
import type { Governance, PersonAccount } from './model.js';

/**
 * Whether registered owners are still with the organisation, as the platforms say. Read first from the
 * snapshot's people (person records: GitHub org members, Google Workspace users with `suspended` /
 * `archived`, Entra users with `accountEnabled`), where someone missing from a platform's complete
 * listing is gone (deleted, no longer a member); then from the people the snapshot's records name
 * (identity owners, the users delegated grants act for, who granted what: `PrincipalRef.active`).
 * Nothing here knows a platform's API: a person is found by the platform's user id or by the name the
 * connector records (login, UPN, primary email), case-insensitively.
 */
export interface PersonDirectory {
  /** true = active, false = left (disabled, suspended, deleted, no longer a member), null = not known. */
  status(account: PersonAccount): boolean | null;
  /** How the platform says the person left (for evidence), null when it does not say so. */
  departure?(account: PersonAccount): string | null;
}

export const UNKNOWN_PEOPLE: PersonDirectory = { status: () => null };

const key = (platform: string, id: string) => `${platform.toLowerCase()}\u0000${id.toLowerCase()}`;

/** The accounts the governance file names, to look for in the snapshot. */
export function registeredAccounts(governance: Governance): PersonAccount[] {
  return governance.owners.flatMap((o) => o.accounts);
}

/** What is known of one account: whether any record says active, and how one says it left. */
interface Seen {
  active: boolean;
  departure: string | null;
}

class Statuses {
  private readonly wanted: Set<string>;
  private readonly found = new Map<string, Seen>();
  constructor(accounts: readonly PersonAccount[]) {
    this.wanted = new Set(accounts.map((a) => key(a.platform, a.id)));
  }
  get empty(): boolean {
    return this.wanted.size === 0;
  }
  /**
   * Where records disagree (a scan never should), "left" wins over "active" only if no record says
   * active: an owner is not declared departed on one stale record.
   */
  see(platform: string, ids: ReadonlyArray<string | null>, active: boolean, departure: string | null): void {
    for (const id of ids) {
      if (!id) continue;
      const k = key(platform, id);
      if (!this.wanted.has(k)) continue;
      const known = this.found.get(k);
      this.found.set(k, {
        active: (known?.active ?? false) || active,
        departure: known?.departure ?? departure,
      });
    }
  }
  has(account: PersonAccount): boolean {
    return this.found.has(key(account.platform, account.id));
  }
  directory(gone: (account: PersonAccount) => string | null): PersonDirectory {
    const get = (a: PersonAccount) => this.found.get(key(a.platform, a.id));
    return {
      status: (a) => {
        const s = get(a);
        if (s) return s.active;
        return gone(a) === null ? null : false;
      },
      departure: (a) => {
        const s = get(a);
        if (s) return s.active ? null : s.departure;
        return gone(a);
      },
    };
  }
}

function seeBundle(statuses: Statuses, b: IdentityBundle): void {
  const see = (platform: string, p: PrincipalRef | null | undefined) => {
    if (p?.type !== 'user' || typeof p.active !== 'boolean') return;
    statuses.see(
      platform,
      [p.id, p.name],
      p.active,
      p.active
        ? null
        : `${p.name ?? p.id} is inactive in ${platform} (disabled, suspended, deleted or no longer a member)`,
    );
  };
  if (b.identity) for (const o of b.identity.owners) see(b.identity.platform, o);
  for (const g of b.grants) {
    see(g.platform, g.principal);
    see(g.platform, g.grantedBy);
  }
}

/**
 * Reads the statuses of `accounts` (only those: the directory stays as small as the governance file)
 * from a snapshot's bundles: the people its records name.
 */
export async function collectPeople(
  bundles: AsyncIterable<IdentityBundle> | Iterable<IdentityBundle>,
  accounts: readonly PersonAccount[],
): Promise<PersonDirectory> {
  const statuses = new Statuses(accounts);
  if (statuses.empty) return UNKNOWN_PEOPLE;
  for await (const b of bundles) seeBundle(statuses, b);
  return statuses.directory(() => null);
}

function personDeparture(p: Person): string {
  return `${p.name ?? p.nativeId} is ${p.status} in ${p.platform} (${p.tenant.name ?? p.tenant.id})`;
}

/**
 * The statuses of `accounts` at scan `scanId`: from the snapshot's people, then from the people its
 * records name, and, for an account found nowhere, from whether every source of its platform listed
 * its people completely at that scan (then the account is gone; otherwise unknown, never "left" on a
 * partial read). People a failed listing did not read again are carried over by the store with what
 * the last complete read said.
 */
export async function readPeopleDirectory(
  store: Pick<SnapshotStore, 'peopleDirectories' | 'readPeople' | 'readSnapshot'>,
  scan: number | ScanSelection,
  accounts: readonly PersonAccount[],
): Promise<PersonDirectory> {
  const statuses = new Statuses(accounts);
  if (statuses.empty) return UNKNOWN_PEOPLE;
  // A scan id reads that scan; a selection reads each source as of its own scan.
  const selection = typeof scan === 'number' ? null : scan;
  const people = selection ? readSelectedPeople(store, selection) : store.readPeople(scan as number);
  for await (const p of people) {
    statuses.see(p.platform, [p.nativeId, p.name], p.status === 'active', personDeparture(p));
  }
  const bundles = selection ? readSelectedSnapshot(store, selection) : store.readSnapshot(scan as number);
  for await (const b of bundles) seeBundle(statuses, b);
  const directories = selection
    ? await selectedPeopleDirectories(store, selection)
    : await store.peopleDirectories(scan as number);
  const complete = new Map<string, { sources: string[]; complete: boolean }>();
  for (const d of directories) {
    const platform = d.platform.toLowerCase();
    const known = complete.get(platform) ?? { sources: [], complete: true };
    known.sources.push(d.tenant);
    known.complete &&= d.complete;
    complete.set(platform, known);
  }
  return statuses.directory((a) => {
    const listed = complete.get(a.platform.toLowerCase());
    if (!listed?.complete || statuses.has(a)) return null;
    return `${a.id} is not among the people of ${a.platform} (${listed.sources.join(', ')}): deleted or no longer a member`;
  });
}
