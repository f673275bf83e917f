import { UsageError } from '../errors.js';
import type { IdentityFacts } from '../governance/reviews-in-force.js';
import { bundleFacts } from '../governance/reviews-in-force.js';
import { asSelection, type ScanSelection } from '../selection/scan-selection.js';
import { readSelectedSnapshot } from '../selection/selection-reads.js';
import type { IdentityBundle, ScanSummary, SnapshotStore } from '../store/store.js';

/** Narrowing options a command takes next to an identity argument. */
export interface IdentityFilter {
  platform?: string;
  tenant?: string;
  kind?: string;
}

const MAX_SUGGESTIONS = 10;

function describe(f: IdentityFacts): string {
  return `${f.platform} ${f.tenant} ${f.kind} ${f.nativeId}${f.name ? ` "${f.name}"` : ''}`;
}

function disambiguation(f: IdentityFacts): string {
  return `--platform ${f.platform} --tenant ${f.tenant} --kind ${f.kind}`;
}

/**
 * The identity a command argument names in scan `scan`'s snapshot: its native id as `inventory` and
 * `findings` print it (the Id column, `identity.id`), or `kind:id`, or else its display name
 * (case-insensitive). Several matches, or none, are usage errors that list the candidates. Streams
 * the snapshot, holding only the matches and a few suggestions.
 */
export async function resolveIdentity(
  store: SnapshotStore,
  scan: ScanSummary | ScanSelection,
  arg: string,
  filter: IdentityFilter = {},
): Promise<IdentityBundle> {
  const wanted = arg.trim();
  if (wanted === '') throw new UsageError('identity: empty; give the id that `grantscope inventory` shows');
  const lower = wanted.toLowerCase();
  const exact: IdentityBundle[] = [];
  const loose: IdentityBundle[] = [];
  const near: IdentityFacts[] = [];
  const selection = asSelection(scan);
  for await (const b of readSelectedSnapshot(store, selection, {
    platform: filter.platform,
    tenant: filter.tenant,
    kinds: filter.kind ? [filter.kind] : undefined,
  })) {
    const f = bundleFacts(b);
    if (f.nativeId === wanted || b.identityKey === wanted) exact.push(b);
    else if (f.nativeId.toLowerCase() === lower || f.name?.toLowerCase() === lower) loose.push(b);
    else if (
      near.length < MAX_SUGGESTIONS &&
      (f.nativeId.toLowerCase().includes(lower) || f.name?.toLowerCase().includes(lower))
    )
      near.push(f);
  }
  const found = exact.length > 0 ? exact : loose;
  if (found.length === 1) return found[0]!;
  const read =
    selection.scans.length > 1
      ? `the newest scan of each tenant (${selection.scans.length} scans)`
      : `scan #${selection.newest.id}`;
  const where = `in ${read}${filter.platform || filter.tenant || filter.kind ? ' (with the filters given)' : ''}`;
  if (found.length > 1) {
    const facts = found.map(bundleFacts);
    throw new UsageError(
      `identity '${wanted}' is ambiguous ${where}: ${found.length} identities match; add the options of one:\n` +
        facts
          .slice(0, MAX_SUGGESTIONS)
          .map((f) => `  ${describe(f)}\n      ${disambiguation(f)}`)
          .join('\n') +
        (facts.length > MAX_SUGGESTIONS ? `\n  … and ${facts.length - MAX_SUGGESTIONS} more` : ''),
    );
  }
  throw new UsageError(
    `no identity '${wanted}' ${where}` +
      (near.length > 0
        ? `; did you mean:\n${near.map((f) => `  ${describe(f)}`).join('\n')}`
        : '; `grantscope inventory` lists the ids (the Id column)'),
  );
}
