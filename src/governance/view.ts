import type { FindingApproval, FindingDraft, FindingException, FindingOwner } from '../findings/finding.js';
import { bundleIdentity } from '../rules/bundle-facts.js';
import type { IdentityBundle } from '../store/store.js';
import { EntryIndex, type MatchTarget } from './match.js';
import type {
  ApprovalEntry,
  ExceptionEntry,
  Governance,
  IdentityMatch,
  OwnerEntry,
  RetiredEntry,
  ReviewEntry,
} from './model.js';
import type { PersonDirectory } from './people.js';

const targets = new WeakMap<IdentityBundle, MatchTarget>();

/**
 * The identity of a bundle as governance entries match it. One object per bundle, so that the entry
 * indexes' lookups (several rules ask about the same identity) are made once per identity.
 */
export function matchTarget(bundle: IdentityBundle): MatchTarget {
  let target = targets.get(bundle);
  if (!target) {
    target = targetOf(bundle);
    targets.set(bundle, target);
  }
  return target;
}

function targetOf(bundle: IdentityBundle): MatchTarget {
  const who = bundleIdentity(bundle);
  return {
    platform: who.platform,
    tenant: who.tenant,
    kind: who.kind,
    nativeId: who.nativeId,
    name: who.name,
    publisher: bundle.identity?.publisher.name ?? null,
    publisherId: bundle.identity?.publisher.id ?? null,
  };
}

/** The governance file's sections, indexed for lookups per identity (built once per Governance). */
export interface GovernanceIndex {
  owners: EntryIndex<OwnerEntry>;
  approvals: EntryIndex<ApprovalEntry>;
  retired: EntryIndex<RetiredEntry>;
  reviews: EntryIndex<ReviewEntry>;
  /** Exceptions by rule id (those given as rule + match), indexed by their match. */
  byRule: Map<string, EntryIndex<ExceptionEntry & { match: IdentityMatch }>>;
  /** Exceptions by finding fingerprint. */
  byFingerprint: Map<string, ExceptionEntry[]>;
}

const indexes = new WeakMap<Governance, GovernanceIndex>();

export function governanceIndex(g: Governance): GovernanceIndex {
  let index = indexes.get(g);
  if (!index) {
    const ruleEntries = new Map<string, (ExceptionEntry & { match: IdentityMatch })[]>();
    const byFingerprint = new Map<string, ExceptionEntry[]>();
    for (const e of g.exceptions) {
      if (e.fingerprint !== undefined) {
        byFingerprint.set(e.fingerprint, [...(byFingerprint.get(e.fingerprint) ?? []), e]);
      } else if (e.rule !== undefined && e.match !== undefined) {
        ruleEntries.set(e.rule, [...(ruleEntries.get(e.rule) ?? []), { ...e, match: e.match }]);
      }
    }
    const byRule = new Map([...ruleEntries].map(([rule, list]) => [rule, new EntryIndex(list)]));
    index = {
      owners: new EntryIndex(g.owners),
      approvals: new EntryIndex(g.approvals),
      retired: new EntryIndex(g.retired),
      reviews: new EntryIndex(g.reviews),
      byRule,
      byFingerprint,
    };
    indexes.set(g, index);
  }
  return index;
}

/** Registered owners of `target`, each with whether their platform accounts say they are still here. */
export function registeredOwners(
  g: Governance,
  people: PersonDirectory,
  target: MatchTarget,
): FindingOwner['registered'] {
  return governanceIndex(g)
    .owners.find(target)
    .map((o) => ({
      person: o.person,
      team: o.team ?? null,
      contact: o.contact ?? null,
      active: personActive(o, people),
      source: o.source,
    }));
}

/**
 * How the platforms say each registered owner of `target` who left has left, e.g. "registered owner
 * Alice Martin: alice@acme.example is suspended in google-workspace (C01)", for evidence.
 */
export function ownerDepartures(g: Governance, people: PersonDirectory, target: MatchTarget): string[] {
  return governanceIndex(g)
    .owners.find(target)
    .filter((o) => personActive(o, people) === false)
    .map((o) => {
      const how = o.accounts
        .filter((a) => people.status(a) === false)
        .map((a) => people.departure?.(a) ?? `${a.id} (${a.platform}) has left`);
      return `registered owner ${o.person}: ${how.join('; ')}`;
    });
}

/**
 * A person has left when their accounts say so and none says otherwise: someone removed from the GitHub
 * org but still enabled in Entra has not left the organisation. Unknown when no account is in the snapshot.
 */
function personActive(o: OwnerEntry, people: PersonDirectory): boolean | null {
  const statuses = o.accounts.map((a) => people.status(a));
  if (statuses.includes(true)) return true;
  if (statuses.includes(false)) return false;
  return null;
}

export function ownerOf(
  g: Governance,
  people: PersonDirectory,
  bundle: IdentityBundle,
): FindingOwner | undefined {
  const registered = registeredOwners(g, people, matchTarget(bundle));
  const inPlatform = (bundle.identity?.owners ?? []).map((o) => ({
    id: o.id,
    name: o.name,
    active: o.active,
  }));
  if (registered.length === 0 && inPlatform.length === 0) return undefined;
  return { registered, inPlatform };
}

export function approvalOf(g: Governance, bundle: IdentityBundle): FindingApproval | undefined {
  return approvalOfTarget(g, matchTarget(bundle));
}

export function approvalOfTarget(g: Governance, target: MatchTarget): FindingApproval | undefined {
  const a = governanceIndex(g).approvals.find(target)[0];
  return a && { approver: a.approver, reference: a.reference ?? null, date: a.date, source: a.source };
}

/**
 * What a finding across identities (an aggregation's, about a vendor) is matched as: its subject, with
 * the vendor's name as the publisher, so entries by publisher (owners, approvals, exceptions) reach it.
 */
export function aggregateTarget(draft: FindingDraft): MatchTarget {
  return {
    platform: draft.platform,
    tenant: draft.tenant,
    kind: draft.identity.kind,
    nativeId: draft.identity.id,
    name: draft.identity.name,
    publisher: draft.identity.kind === 'vendor' ? draft.identity.name : null,
  };
}

const DAY_MS = 86_400_000;
const dayStart = (date: string) => Date.parse(`${date}T00:00:00Z`);

/** What decides whether an exception still applies to a finding of one identity. */
export interface ExceptionCheck {
  asOf: Date;
  /** The policy's longest exception, in days. */
  maxDays: number;
  /** When the scan compared against was taken (null on a first scan). */
  previousAt: Date | null;
  /** Whether the identity's grants widened since the previous scan (new grant, higher access, broader target). */
  widenedSinceLastScan: boolean;
}

/**
 * The exception that matched `draft`, with whether it applies. An exception is a decision about what
 * the approver saw; it never covers a grant that came later, so it stops applying (`widened`) when the
 * identity holds a grant made after the day it was granted (or, for a finding about one credential, that
 * credential was created after it), or when its grants
 * widened between a previous scan taken after that day and this one. (Fingerprints alone would not do:
 * some findings, such as over-privileged, name the identity and not each grant, so a wider grant keeps
 * the same fingerprint.) The finding then comes back, and says which exception no longer applies and why.
 */
export function exceptionFor(
  g: Governance,
  draft: FindingDraft,
  bundle: IdentityBundle | null,
  check: ExceptionCheck,
): FindingException | undefined {
  const index = governanceIndex(g);
  const target = bundle ? matchTarget(bundle) : aggregateTarget(draft);
  const candidates = [
    ...(index.byFingerprint.get(draft.fingerprint) ?? []),
    ...(index.byRule.get(draft.rule)?.find(target) ?? []),
  ];
  if (candidates.length === 0) return undefined;
  const judged = candidates.map((e) => ({ e, status: statusOf(e, draft, bundle, check) }));
  const chosen = judged.find((j) => j.status === 'active') ?? judged[0]!;
  const { e, status } = chosen;
  return {
    status,
    reason: e.reason,
    approver: e.approver,
    granted: e.granted ?? e.expires,
    expires: e.expires,
    source: e.source,
  };
}

function statusOf(
  e: ExceptionEntry,
  draft: FindingDraft,
  bundle: IdentityBundle | null,
  check: ExceptionCheck,
): FindingException['status'] {
  const granted = dayStart(e.granted ?? e.expires);
  const expires = dayStart(e.expires);
  // `expires` is the last day it applies.
  if (check.asOf.getTime() >= expires + DAY_MS) return 'expired';
  if ((expires - granted) / DAY_MS > check.maxDays) return 'too-long';
  // A finding across identities (a vendor's) has no grants of its own to widen.
  if (bundle === null) return 'active';
  const after = granted + DAY_MS;
  const later = (at: string | null) => at !== null && Date.parse(at) >= after;
  // A credential is not a grant: a secret rotated after the day widens nothing the identity may do
  // (`new-credential` judges it on its own), so it voids only an exception of a finding about that
  // very credential, which the approver never saw (credential findings name it in their subject).
  const aboutCredential = (c: { credentialType: string; nativeId: string }) =>
    draft.subject === `${c.credentialType}:${c.nativeId}` ||
    draft.subject?.startsWith(`credential:${c.nativeId}:`) === true;
  if (
    bundle.grants.some((gr) => later(gr.grantedAt)) ||
    bundle.credentials.some((c) => later(c.createdAt) && aboutCredential(c))
  ) {
    return 'widened';
  }
  if (check.widenedSinceLastScan && check.previousAt !== null && check.previousAt.getTime() >= after) {
    return 'widened';
  }
  return 'active';
}
