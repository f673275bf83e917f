import type Database from 'better-sqlite3';
import type { Person } from '../../model/index.js';
import type { PeopleDirectoryStatus, SnapshotFilter } from '../store.js';
import { scanSources } from './snapshot-reader.js';

const AT_SCAN = 'source_id = :source AND valid_from <= :scan AND (valid_to IS NULL OR valid_to > :scan)';

/**
 * Per source of scan `scanId`: how many people it holds and whether its directory was read completely
 * at that scan: it holds `directory` people and every collector that listed them completed in that
 * scan. A failed listing carries its people over (the store never closes them), so the people are
 * there but incomplete: someone missing from them is not known to have left.
 */
export function peopleDirectories(
  db: Database.Database,
  scanId: number,
  filter: SnapshotFilter = {},
): PeopleDirectoryStatus[] {
  const listers = db
    .prepare<Record<string, unknown>, { collector: string; people: number }>(
      `SELECT json_extract(record, '$.collector') AS collector, count(*) AS people
       FROM people INDEXED BY people_added WHERE ${AT_SCAN} AND json_extract(record, '$.listing') = 'directory'
       GROUP BY 1`,
    )
    .raw(false);
  const total = db
    .prepare<Record<string, unknown>, number>(`SELECT count(*) FROM people WHERE ${AT_SCAN}`)
    .pluck();
  const statusOf = db
    .prepare<[number, string, string], string>(
      'SELECT status FROM scan_collectors WHERE scan_id = ? AND source = ? AND collector = ?',
    )
    .pluck();
  return scanSources(db, scanId, filter).map(({ sourceId, source, platform, tenant }) => {
    const params = { source: sourceId, scan: scanId };
    const byCollector = listers.all(params);
    const complete =
      byCollector.length > 0 &&
      byCollector.every((c) => statusOf.get(scanId, source, c.collector) === 'complete');
    return { source, platform, tenant, complete, people: total.get(params) as number };
  });
}

/** Streams the people of scan `scanId`, source by source. */
export function* snapshotPeople(
  db: Database.Database,
  scanId: number,
  filter: SnapshotFilter = {},
): Generator<Person> {
  const stmt = db
    .prepare<Record<string, unknown>, string>(
      `SELECT record FROM people INDEXED BY people_added WHERE ${AT_SCAN}`,
    )
    .pluck();
  for (const { sourceId } of scanSources(db, scanId, filter)) {
    for (const json of stmt.iterate({ source: sourceId, scan: scanId })) yield JSON.parse(json) as Person;
  }
}
