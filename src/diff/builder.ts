import { type Credential, type Grant, type Identity, identityKey, type ModelRecord } from '../model/index.js';
import type { RecordChange } from '../store/store.js';
import { type DiffCoverage, RemovalGate } from './coverage-gate.js';
import { changedFields, topField } from './field-changes.js';
import { ownerChange } from './owners.js';
import { expiresLater, pairRenewals } from './renewals.js';
import { grantWidening, newGrantChange } from './scope.js';
import type { AddedRecord, ModifiedRecord, RemovedRecord, SnapshotDiff } from './types.js';

/** Fields whose change alone is not worth reporting: the usage signal, the raw API object, the collector. */
const QUIET_FIELDS = new Set(['lastUsed', 'raw', 'collector']);
const isQuiet = (path: string) => QUIET_FIELDS.has(topField(path));

/**
 * The key of the identity a record belongs to. Changes arrive grouped per identity, so the previous
 * answer is reused when the identity is the same (saves a string per change on large diffs).
 */
class OwnerKeys {
  private kind = '';
  private nativeId = '';
  private key = '';
  of(rec: ModelRecord): string {
    const ref = rec.type === 'identity' ? rec : rec.identity;
    if (ref.kind !== this.kind || ref.nativeId !== this.nativeId) {
      this.kind = ref.kind;
      this.nativeId = ref.nativeId;
      this.key = identityKey(ref);
    }
    return this.key;
  }
}

interface CredentialGroup {
  removed: RemovedRecord<Credential>[];
  added: AddedRecord<Credential>[];
}

/**
 * Builds a `SnapshotDiff` from record changes fed one at a time (as `SnapshotStore.changesBetween`
 * streams them). Work per change is constant apart from the field comparison; state is grouped per
 * identity in maps, so a million changed grants cost linear time and memory, and the result does not
 * depend on whether identities arrive before or after their grants.
 */
export class DiffBuilder {
  private readonly gate: RemovalGate;
  private readonly diff: SnapshotDiff = {
    identities: { added: [], removed: [], modified: [] },
    grants: { added: [], removed: [], modified: [] },
    scopeExpansions: [],
    credentials: { added: [], removed: [], renewed: [], modified: [] },
    ownerChanges: [],
    suppressed: [],
    quietUpdates: [],
    counts: {
      identities: { added: 0, removed: 0, modified: 0, usageUpdates: 0 },
      grants: { added: 0, removed: 0, modified: 0 },
      credentials: { added: 0, removed: 0, renewed: 0, modified: 0, usageUpdates: 0 },
      scopeExpansions: 0,
      ownerChanges: 0,
      rawOnlyUpdates: 0,
      baselineAdditions: 0,
      suppressedRemovals: 0,
    },
  };
  /** `source \0 identityKey` of every identity added (baseline or not). */
  private readonly addedIdentities = new Set<string>();
  /** Added and removed credentials per `source \0 identityKey \0 credentialType`, paired at the end. */
  private readonly credentialGroups = new Map<string, CredentialGroup>();
  private readonly ownerKeys = new OwnerKeys();
  private finished = false;

  constructor(coverage: DiffCoverage) {
    this.gate = new RemovalGate(coverage);
  }

  add(change: RecordChange): void {
    if (this.finished) throw new Error('DiffBuilder.add called after finish()');
    const { source, key } = change;
    if (change.before && change.after) {
      this.modified(source, key, change.before, change.after);
    } else if (change.before) {
      const record = change.before;
      if (!this.gate.admitRemoval(record.type, source, record.collector)) return;
      const identityKey = this.ownerKeys.of(record);
      if (record.type === 'identity') this.diff.identities.removed.push({ source, key, identityKey, record });
      else if (record.type === 'grant') this.diff.grants.removed.push({ source, key, identityKey, record });
      else {
        const group = this.credentialGroup(source, identityKey, record.credentialType);
        group.removed.push({ source, key, identityKey, record });
      }
    } else if (change.after) {
      const record = change.after;
      const identityKey = this.ownerKeys.of(record);
      const baseline = !this.gate.coveredBefore(source, record.collector);
      if (record.type === 'identity') {
        this.addedIdentities.add(`${source}\u0000${identityKey}`);
        this.diff.identities.added.push({ source, key, identityKey, record, baseline });
      } else if (record.type === 'grant') {
        this.diff.grants.added.push({ source, key, identityKey, record, baseline });
      } else {
        const group = this.credentialGroup(source, identityKey, record.credentialType);
        group.added.push({ source, key, identityKey, record, baseline });
      }
    }
  }

  private credentialGroup(source: string, idKey: string, credentialType: string): CredentialGroup {
    const id = `${source}\u0000${idKey}\u0000${credentialType}`;
    let g = this.credentialGroups.get(id);
    if (!g) {
      g = { removed: [], added: [] };
      this.credentialGroups.set(id, g);
    }
    return g;
  }

  private modified(source: string, key: string, before: ModelRecord, after: ModelRecord): void {
    if (before.type !== after.type) {
      throw new Error(`record ${key} changed type from ${before.type} to ${after.type}`);
    }
    const fields = changedFields(before, after);
    if (fields.length === 0) return;
    const identityKey = this.ownerKeys.of(after);
    if (fields.every(isQuiet)) {
      const usage = fields.some((f) => topField(f) === 'lastUsed');
      this.diff.quietUpdates.push({ source, key, identityKey, type: after.type, before, after, usage });
      return;
    }
    // Object literals with the same shape throughout (no spreads): this runs once per changed record.
    switch (after.type) {
      case 'identity': {
        const b = before as Identity;
        const m: ModifiedRecord<Identity> = { source, key, identityKey, before: b, after, fields };
        // Owners that could not be collected on one side are not a change of owners.
        const ownersComparable = b.ownersKnown && after.ownersKnown;
        if (!ownersComparable) {
          m.fields = fields.filter((f) => topField(f) !== 'owners' && topField(f) !== 'ownersKnown');
          if (m.fields.length === 0) {
            this.diff.quietUpdates.push({
              source,
              key,
              identityKey,
              type: after.type,
              before,
              after,
              usage: false,
            });
            return;
          }
        }
        this.diff.identities.modified.push(m);
        if (ownersComparable && fields.some((f) => topField(f) === 'owners')) {
          const oc = ownerChange(source, identityKey, b, after);
          if (oc) this.diff.ownerChanges.push(oc);
        }
        return;
      }
      case 'grant': {
        const b = before as Grant;
        this.diff.grants.modified.push({ source, key, identityKey, before: b, after, fields });
        const changes = grantWidening(b, after);
        if (changes.length > 0) {
          this.diff.scopeExpansions.push({ source, key, identityKey, grant: after, previous: b, changes });
        }
        return;
      }
      case 'credential': {
        const b = before as Credential;
        if (expiresLater(after, b)) {
          this.diff.credentials.renewed.push({
            source,
            identityKey,
            credentialType: after.credentialType,
            beforeKey: key,
            afterKey: key,
            before: b,
            after,
            sameKey: true,
          });
        } else {
          this.diff.credentials.modified.push({ source, key, identityKey, before: b, after, fields });
        }
        return;
      }
    }
  }

  finish(): SnapshotDiff {
    if (this.finished) return this.diff;
    this.finished = true;
    const d = this.diff;
    for (const g of d.grants.added) {
      if (g.baseline || this.addedIdentities.has(`${g.source}\u0000${g.identityKey}`)) continue;
      d.scopeExpansions.push({
        source: g.source,
        key: g.key,
        identityKey: g.identityKey,
        grant: g.record,
        previous: null,
        changes: [newGrantChange(g.record)],
      });
    }
    for (const group of this.credentialGroups.values()) {
      const paired = pairRenewals(group.removed, group.added);
      d.credentials.renewed.push(...paired.renewed);
      d.credentials.removed.push(...paired.removed);
      d.credentials.added.push(...paired.added);
    }
    this.credentialGroups.clear();
    d.suppressed = this.gate.report();

    const c = d.counts;
    c.identities.added = d.identities.added.length;
    c.identities.removed = d.identities.removed.length;
    c.identities.modified = d.identities.modified.length;
    c.grants.added = d.grants.added.length;
    c.grants.removed = d.grants.removed.length;
    c.grants.modified = d.grants.modified.length;
    c.credentials.added = d.credentials.added.length;
    c.credentials.removed = d.credentials.removed.length;
    c.credentials.renewed = d.credentials.renewed.length;
    c.credentials.modified = d.credentials.modified.length;
    c.scopeExpansions = d.scopeExpansions.length;
    c.ownerChanges = d.ownerChanges.length;
    for (const q of d.quietUpdates) {
      if (!q.usage) c.rawOnlyUpdates++;
      else if (q.type === 'identity') c.identities.usageUpdates++;
      else if (q.type === 'credential') c.credentials.usageUpdates++;
    }
    c.baselineAdditions =
      d.identities.added.filter((x) => x.baseline).length +
      d.grants.added.filter((x) => x.baseline).length +
      d.credentials.added.filter((x) => x.baseline).length;
    c.suppressedRemovals = d.suppressed.reduce(
      (n, s) => n + s.removals.identity + s.removals.grant + s.removals.credential,
      0,
    );
    return d;
  }
}

/** Diff a stream of record changes (e.g. `store.changesBetween(a, b)`) given both scans' coverage. */
export async function diffChanges(
  changes: AsyncIterable<RecordChange> | Iterable<RecordChange>,
  coverage: DiffCoverage,
): Promise<SnapshotDiff> {
  const builder = new DiffBuilder(coverage);
  for await (const change of changes) builder.add(change);
  return builder.finish();
}

/** `diffChanges` for changes already in memory, synchronously. */
export function diffChangeList(changes: Iterable<RecordChange>, coverage: DiffCoverage): SnapshotDiff {
  const builder = new DiffBuilder(coverage);
  for (const change of changes) builder.add(change);
  return builder.finish();
}
