import type { Finding } from '../findings/finding.js';
import type { Person } from '../model/index.js';
import type {
  IdentityBundle,
  PeopleDirectoryStatus,
  SnapshotFilter,
  SnapshotReadFilter,
  SnapshotStore,
} from '../store/store.js';
import { type ScanSelection, scanOfSource, wholeScan } from './scan-selection.js';

/*
 * The store's reads over a scan selection. A selection that is one whole scan reads exactly as
 * before (one stream of that scan); otherwise each selected source is read from its own scan, one
 * source after another in byte order, so the stream is ordered by source as a one-scan read is and
 * holds one store connection at a time.
 */

/**
 * The store reads that cover `selection` narrowed by `filter`: the one scan with the filter as given
 * when the selection is a whole scan, else each kept source's scan with the filter narrowed to it.
 */
function readsOf<F extends SnapshotFilter>(
  selection: ScanSelection,
  filter: F,
): Array<{ scanId: number; filter: F }> {
  const whole = wholeScan(selection);
  if (whole) return [{ scanId: whole.id, filter }];
  return selection.sources
    .filter(
      ({ source }) =>
        (filter.platform === undefined || source.platform === filter.platform) &&
        (filter.tenant === undefined || source.tenant === filter.tenant),
    )
    .map(({ source, scan }) => ({
      scanId: scan.id,
      filter: { ...filter, platform: source.platform, tenant: source.tenant },
    }));
}

/** Every identity of the selection, each source as of its scan: ordered by source, then identity key. */
export async function* readSelectedSnapshot(
  store: Pick<SnapshotStore, 'readSnapshot'>,
  selection: ScanSelection,
  filter: SnapshotReadFilter = {},
): AsyncGenerator<IdentityBundle> {
  for (const read of readsOf(selection, filter)) yield* store.readSnapshot(read.scanId, read.filter);
}

/** The people of the selection, each source's as of its scan. */
export async function* readSelectedPeople(
  store: Pick<SnapshotStore, 'readPeople'>,
  selection: ScanSelection,
  filter: SnapshotFilter = {},
): AsyncGenerator<Person> {
  for (const read of readsOf(selection, filter)) yield* store.readPeople(read.scanId, read.filter);
}

/** Per selected source: whether its people were listed completely at its scan. */
export async function selectedPeopleDirectories(
  store: Pick<SnapshotStore, 'peopleDirectories'>,
  selection: ScanSelection,
  filter: SnapshotFilter = {},
): Promise<PeopleDirectoryStatus[]> {
  const out: PeopleDirectoryStatus[] = [];
  for (const read of readsOf(selection, filter)) {
    out.push(...(await store.peopleDirectories(read.scanId, read.filter)));
  }
  return out;
}

/**
 * The recorded findings of the selection, in fingerprint order: one stream over the selected scans
 * (`readFindings` of several), keeping each finding only from the scan selected for its source (a
 * finding last seen at an older scan of a source that was scanned again since is not current).
 */
export async function* readSelectedFindings(
  store: Pick<SnapshotStore, 'readFindings'>,
  selection: ScanSelection,
): AsyncGenerator<Finding> {
  const whole = wholeScan(selection);
  if (whole) {
    yield* store.readFindings(whole.id);
    return;
  }
  const scanOf = scanOfSource(selection);
  for await (const f of store.readFindings(selection.scans.map((s) => s.id))) {
    if (scanOf.get(`${f.platform}:${f.tenant}`)?.id === f.scanId) yield f;
  }
}

/** The selected scans whose findings were never recorded (the scan stopped before its analysis). */
export async function scansWithoutFindings(
  store: Pick<SnapshotStore, 'findingsRecorded'>,
  selection: ScanSelection,
): Promise<number[]> {
  const missing: number[] = [];
  for (const scan of selection.scans) if (!(await store.findingsRecorded(scan.id))) missing.push(scan.id);
  return missing;
}
