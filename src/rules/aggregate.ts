import type { IdentityBundle } from '../store/store.js';
import type { RuleResult } from './rule.js';

/** What a cross-identity finding is about: not one identity but, say, a vendor within a tenant. */
export interface AggregateSubject {
  platform: string;
  tenant: string;
  /** The finding's `identity.kind` (e.g. `vendor`), `identity.id` and `identity.name`. */
  kind: string;
  id: string;
  name: string | null;
}

export interface AggregateResult extends RuleResult {
  about: AggregateSubject;
}

/**
 * A rule's pass across identities. The snapshot streams bundle by bundle, ordered by source, so an
 * aggregation folds each bundle into small summaries (per vendor, say; never whole bundles) and is
 * flushed at the end of each source: memory is bounded by one source's summaries, not the snapshot.
 */
export interface Aggregation {
  add(bundle: IdentityBundle): void;
  /** The findings of the source just finished; the aggregation starts afresh for the next source. */
  flush(): AggregateResult[];
}
