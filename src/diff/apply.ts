import { type ModelRecord, recordKey, sourceKey } from '../model/index.js';
import type { SnapshotDiff } from './types.js';

function id(type: string, source: string, key: string): string {
  return `${type}\u0000${source}\u0000${key}`;
}

/**
 * Replays a diff onto the earlier record set. With complete coverage, `applyDiff(a, diff(a, b))` holds
 * the same records as `b`; removals the diff withheld (collector not authoritative) stay in place.
 */
export function applyDiff(a: readonly ModelRecord[], d: SnapshotDiff): ModelRecord[] {
  const out = new Map<string, ModelRecord>();
  for (const r of a) out.set(id(r.type, sourceKey(r), recordKey(r)), r);

  for (const x of d.identities.removed) out.delete(id('identity', x.source, x.key));
  for (const x of d.grants.removed) out.delete(id('grant', x.source, x.key));
  for (const x of d.credentials.removed) out.delete(id('credential', x.source, x.key));
  for (const x of d.credentials.renewed) out.delete(id('credential', x.source, x.beforeKey));

  for (const x of d.identities.added) out.set(id('identity', x.source, x.key), x.record);
  for (const x of d.grants.added) out.set(id('grant', x.source, x.key), x.record);
  for (const x of d.credentials.added) out.set(id('credential', x.source, x.key), x.record);
  for (const x of d.credentials.renewed) out.set(id('credential', x.source, x.afterKey), x.after);
  for (const x of d.identities.modified) out.set(id('identity', x.source, x.key), x.after);
  for (const x of d.grants.modified) out.set(id('grant', x.source, x.key), x.after);
  for (const x of d.credentials.modified) out.set(id('credential', x.source, x.key), x.after);
  for (const x of d.quietUpdates) out.set(id(x.type, x.source, x.key), x.after);
  return [...out.values()];
}
