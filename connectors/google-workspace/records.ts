import type { PrincipalRef } from '../../src/model/index.js';
import type { ServiceAccount } from './schema.js';

/**
 * What the record builders of several collectors share: who a user is and whether they are still
 * active, a service account as the joins see it, and owners judged against the users. Plain data and
 * pure functions; the collectors' transforms call them.
 */

/** What owners and granting admins are judged by: whether a user is still active. */
export interface KnownUser {
  id: string;
  email: string | null;
  /** null: not known (an outside account the previous scan could not judge either). */
  active: boolean | null;
}

/**
 * Where a user's status comes from: this scan's directory (`complete`: a user of the domain missing from it
 * has been deleted), or, when the users collector failed, what the previous snapshot said about the people
 * it named (not complete: someone missing from it is simply unknown).
 */
export interface UserLookup {
  readonly complete: boolean;
  byId(id: string): KnownUser | undefined;
  byEmail(email: string): KnownUser | undefined;
}

/**
 * Owners kept from the previous snapshot (their source failed this time), with each user's status brought
 * up to date from the lookup where it knows the user.
 */
export function rejudged(owners: readonly PrincipalRef[], users: UserLookup): PrincipalRef[] {
  return owners.map((o) => {
    if (o.type !== 'user') return o;
    const u = users.byId(o.id) ?? (o.name ? users.byEmail(o.name) : undefined);
    return u ? { ...o, id: u.id, active: u.active } : o;
  });
}

/**
 * Whether every user among `owners` could be judged: always with this scan's directory; with the previous
 * snapshot's statuses only for the users it named. Otherwise an owner's `active: null` means "directory
 * unavailable", not "outside account", and the identity's owners are not known this time.
 */
export function ownersJudged(owners: readonly PrincipalRef[], users: UserLookup): boolean {
  return users.complete || owners.every((o) => o.type !== 'user' || users.byId(o.id) !== undefined);
}

/** A GCP service account as the joins use it (delegations, keys, the previous snapshot). */
export interface ServiceAccountInfo {
  projectId: string;
  email: string;
  uniqueId: string;
  /** The client id domain-wide delegation is granted to. */
  oauth2ClientId: string;
  displayName: string | null;
  disabled: boolean;
  raw: ServiceAccount;
}

export function serviceAccountInfo(a: ServiceAccount): ServiceAccountInfo {
  return {
    projectId: a.projectId,
    email: a.email,
    uniqueId: a.uniqueId,
    oauth2ClientId: a.oauth2ClientId ?? a.uniqueId,
    displayName: a.displayName ?? null,
    disabled: a.disabled === true,
    raw: a,
  };
}

/**
 * IAM members as owners. A user of the domain is active when that user is; a member IAM marks `deleted:` is
 * inactive; others (groups, outside accounts) cannot be judged here (active: null). A user of the domain
 * missing from a complete directory was deleted; missing from last-known statuses, unknown.
 */
export function ownerRefs(members: readonly string[], users: UserLookup, domain: string): PrincipalRef[] {
  return members.map((m): PrincipalRef => {
    const deleted = m.startsWith('deleted:');
    const body = deleted ? m.slice('deleted:'.length) : m;
    const [kind, rest = ''] = body.split(/:(.*)/s, 2);
    const email = rest.split('?')[0]!;
    if (kind === 'user') {
      const u = users.byEmail(email);
      // Our domain but not in the directory: the user was deleted. Outside accounts: unknown.
      const gone = users.complete && email.toLowerCase().endsWith(`@${domain.toLowerCase()}`);
      return {
        id: u?.id ?? email,
        name: email,
        type: 'user',
        active: deleted ? false : u ? u.active : gone ? false : null,
      };
    }
    return {
      id: m,
      name: email || m,
      type: kind === 'group' ? 'group' : kind === 'serviceAccount' ? 'service' : 'unknown',
      active: deleted ? false : null,
    };
  });
}

/** A GCP project as the joins see it (listed by the gcp-projects collector). */
export interface GcpProject {
  projectId: string;
  number: string;
  displayName: string | null;
  /** IAM members holding roles/owner (`user:…`, `group:…`, `deleted:user:…`); empty when the policy was not read. */
  owners: string[];
  /** Whether the IAM policy was read: otherwise `owners` is empty for want of data. */
  ownersKnown: boolean;
}

/** What the previous snapshot said about a service account's project side. */
export interface ProjectSideBefore {
  projectNumber: string | null;
  owners: PrincipalRef[];
  ownersKnown: boolean;
}

/**
 * A service account's owners: its project's owners (roles/owner). When the project's IAM policy could not
 * be read this time (or the project not listed), the owners the previous snapshot has for the account
 * stay, their statuses brought up to date; without a previous record they are not known (`known: false`).
 */
export function projectOwners(
  sa: ServiceAccountInfo,
  projects: ReadonlyMap<string, GcpProject>,
  users: UserLookup,
  before: ProjectSideBefore | undefined,
  domain: string,
): { owners: PrincipalRef[]; known: boolean } {
  const project = projects.get(sa.projectId);
  if (project?.ownersKnown) return { owners: ownerRefs(project.owners, users, domain), known: true };
  if (before) return { owners: rejudged(before.owners, users), known: before.ownersKnown };
  return { owners: [], known: false };
}

/** The project number: from this scan's project list, else as the previous snapshot had it. */
export function projectNumber(
  sa: ServiceAccountInfo,
  projects: ReadonlyMap<string, GcpProject>,
  before: ProjectSideBefore | undefined,
): string | null {
  return projects.get(sa.projectId)?.number ?? before?.projectNumber ?? null;
}
