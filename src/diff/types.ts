import type { CollectorStatus } from '../connector/coverage.js';
import type {
  AccessLevel,
  Credential,
  Grant,
  Identity,
  ModelRecord,
  PrincipalRef,
  RecordType,
  TargetBreadth,
} from '../model/index.js';

/** Where a record sits: its source (`platform:tenant`), its key within the source, and its identity's key. */
export interface RecordPosition {
  source: string;
  key: string;
  identityKey: string;
}

export interface AddedRecord<R extends ModelRecord> extends RecordPosition {
  record: R;
  /**
   * The collector that produced it was not part of the earlier scan (a source scanned for the first
   * time, a collector added by a newer connector): the record is new to grantscope, not necessarily new
   * on the platform. Rules about new access ignore baseline additions.
   */
  baseline: boolean;
}

export interface RemovedRecord<R extends ModelRecord> extends RecordPosition {
  record: R;
}

export interface ModifiedRecord<R extends ModelRecord> extends RecordPosition {
  before: R;
  after: R;
  /** Changed fields as dotted paths (`displayName`, `permission.access`, `target.resources`). */
  fields: string[];
}

export type ExpansionReason = 'new-grant' | 'access-level' | 'target-breadth' | 'more-resources';

/** One way in which a grant reaches further than before, with the values compared. */
export type ExpansionChange =
  | { reason: 'new-grant'; before: null; after: { access: AccessLevel; breadth: TargetBreadth } }
  | { reason: 'access-level'; before: AccessLevel; after: AccessLevel }
  | { reason: 'target-breadth'; before: TargetBreadth; after: TargetBreadth }
  | {
      reason: 'more-resources';
      before: number;
      after: number;
      /** Resource ids in the selection now that were not before (may be empty when only the count grew). */
      added: string[];
    };

/** A grant of an identity that existed in the earlier scan, reaching further than before. */
export interface ScopeExpansion extends RecordPosition {
  /** The grant now. */
  grant: Grant;
  /** The grant before; null for a new grant. */
  previous: Grant | null;
  /** Non-empty. */
  changes: ExpansionChange[];
}

export interface CredentialRenewal {
  source: string;
  identityKey: string;
  credentialType: string;
  /** Key of the credential replaced (equal to `afterKey` when the same credential got a later expiry). */
  beforeKey: string;
  afterKey: string;
  before: Credential;
  after: Credential;
  sameKey: boolean;
}

export interface OwnerChange {
  source: string;
  identityKey: string;
  identity: Identity;
  added: PrincipalRef[];
  removed: PrincipalRef[];
  /** Owners present in both scans who were active (or unknown) and are now inactive. */
  becameInactive: PrincipalRef[];
  /** Owners with `active: true` now. */
  activeOwners: number;
}

/** The state of a collector that made its removals untrustworthy. `missing` = not in that scan's coverage. */
export type SuppressingStatus = Exclude<CollectorStatus, 'complete' | 'skipped'> | 'missing';

/** Removals withheld because a collector did not give the full picture in one of the two scans. */
export interface SuppressedRemovals {
  source: string;
  collector: string;
  status: SuppressingStatus;
  /** Which scan's coverage made the removals untrustworthy (the later one when both did). */
  scan: 'before' | 'after';
  reason: string | null;
  /** Records present before and absent after that were not reported as removed. */
  removals: Record<RecordType, number>;
}

/**
 * A record whose content changed in a way not worth reporting: only its usage signal (`lastUsed`), or
 * only the raw API object / producing collector. Kept so that `applyDiff` is exact.
 */
export interface QuietUpdate extends RecordPosition {
  type: RecordType;
  before: ModelRecord;
  after: ModelRecord;
  usage: boolean;
}

export interface DiffCounts {
  identities: { added: number; removed: number; modified: number; usageUpdates: number };
  grants: { added: number; removed: number; modified: number };
  credentials: { added: number; removed: number; renewed: number; modified: number; usageUpdates: number };
  scopeExpansions: number;
  ownerChanges: number;
  /** Changes of raw API objects only. */
  rawOnlyUpdates: number;
  /** Additions from collectors absent from the earlier scan (see `AddedRecord.baseline`). */
  baselineAdditions: number;
  suppressedRemovals: number;
}

/** What changed between two scans, as seen through the model. */
export interface SnapshotDiff {
  identities: {
    added: AddedRecord<Identity>[];
    removed: RemovedRecord<Identity>[];
    /** Changes worth reporting (a change of `lastUsed` only is counted in `counts.identities.usageUpdates`). */
    modified: ModifiedRecord<Identity>[];
  };
  grants: {
    added: AddedRecord<Grant>[];
    removed: RemovedRecord<Grant>[];
    modified: ModifiedRecord<Grant>[];
  };
  /** Grants of identities that existed before, reaching further than before (new, wider, more). */
  scopeExpansions: ScopeExpansion[];
  credentials: {
    /** Added credentials that are not the renewal of a removed one. */
    added: AddedRecord<Credential>[];
    removed: RemovedRecord<Credential>[];
    renewed: CredentialRenewal[];
    modified: ModifiedRecord<Credential>[];
  };
  ownerChanges: OwnerChange[];
  /** Per source and collector whose removals were withheld (listed even when nothing was withheld). */
  suppressed: SuppressedRemovals[];
  quietUpdates: QuietUpdate[];
  counts: DiffCounts;
}
