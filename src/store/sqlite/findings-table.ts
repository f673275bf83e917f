import type Database from 'better-sqlite3';
import { StoreError } from '../../errors.js';
import type { Finding, FindingDraft } from '../../findings/finding.js';
import { SEVERITY_ORDER, type Severity } from '../../findings/severity.js';
import { carryRow } from '../carry-rows.js';
import type {
  CarriedProjection,
  FindingsCarry,
  FindingsRecorded,
  FindingsRecording,
  FindingsTrendPoint,
  RecordFindingsOptions,
} from '../store.js';

export interface FindingHistory {
  firstSeen: string;
  lastSeen: string;
  firstScan: number;
  lastScan: number;
}

/** The content columns of a finding, as stored: what decides whether a re-recorded finding changed. */
interface ContentColumns {
  fingerprint: string;
  rule: string;
  severity: string;
  platform: string;
  tenant: string;
  identity_kind: string;
  identity_id: string;
  identity_name: string | null;
  subject: string | null;
  title: string;
  evidence: string;
  remediation: string;
  frameworks: string;
  /** JSON of the governance fields (owner, approval, exception, excepted), or null when there are none. */
  governance: string | null;
}

const CONTENT = [
  'rule',
  'severity',
  'platform',
  'tenant',
  'identity_kind',
  'identity_id',
  'identity_name',
  'subject',
  'title',
  'evidence',
  'remediation',
  'frameworks',
  'governance',
] as const satisfies readonly (keyof ContentColumns)[];

function columnsOf(d: FindingDraft): ContentColumns {
  return {
    fingerprint: d.fingerprint,
    rule: d.rule,
    severity: d.severity,
    platform: d.platform,
    tenant: d.tenant,
    identity_kind: d.identity.kind,
    identity_id: d.identity.id,
    identity_name: d.identity.name ?? null,
    subject: d.subject ?? null,
    title: d.title,
    evidence: JSON.stringify(d.evidence),
    remediation: d.remediation,
    frameworks: JSON.stringify(d.frameworks),
    governance: governanceJson(d),
  };
}

const GOVERNANCE_KEYS = ['owner', 'approval', 'exception', 'excepted'] as const;

function governanceJson(d: FindingDraft): string | null {
  const present = GOVERNANCE_KEYS.filter((k) => d[k] !== undefined);
  return present.length === 0 ? null : JSON.stringify(Object.fromEntries(present.map((k) => [k, d[k]])));
}

/**
 * A row of `seenAt`'s read, as an array (`raw` rows: cheaper than an object with 19 named keys per
 * row): the content columns in `COLUMN_LIST` order, then first seen at, last seen scan and at.
 */
type SeenRow = [
  fingerprint: string,
  rule: string,
  severity: string,
  platform: string,
  tenant: string,
  identity_kind: string,
  identity_id: string,
  identity_name: string | null,
  subject: string | null,
  title: string,
  evidence: string,
  remediation: string,
  frameworks: string,
  governance: string | null,
  first_seen_at: string,
  last_seen_scan: number,
  last_seen_at: string,
];

/** A stored row as the finding it records (key order as the published JSON contract has it). */
function findingOf(r: SeenRow): Finding {
  const governance = r[13];
  return {
    fingerprint: r[0],
    rule: r[1],
    severity: r[2] as Finding['severity'],
    platform: r[3],
    tenant: r[4],
    identity: { kind: r[5], id: r[6], name: r[7] },
    subject: r[8],
    title: r[9],
    evidence: JSON.parse(r[10]),
    remediation: r[11],
    frameworks: JSON.parse(r[12]),
    ...(governance !== null && (JSON.parse(governance) as Pick<Finding, (typeof GOVERNANCE_KEYS)[number]>)),
    firstSeen: r[14],
    lastSeen: r[16],
    scanId: r[15],
  };
}

const COLUMN_LIST = `fingerprint, ${CONTENT.join(', ')}`;

/** A finding's source's newest recording, as the `findings` view joins it (migration 010). */
const SOURCE_JOIN = 'LEFT JOIN finding_sources AS s ON s.platform = f.platform AND s.tenant = f.tenant';
/** The `findings` view's `last_seen_scan`, over `stored_findings AS f` and `SOURCE_JOIN`. */
const LAST_SEEN_SCAN = 'coalesce(f.last_seen_scan, s.last_seen_scan)';

function sourceKey(s: { platform: string; tenant: string }): string {
  return JSON.stringify([s.platform, s.tenant]);
}

/**
 * The findings table: one row per fingerprint, updated by each scan that sees it. A finding absent
 * from a later scan of its platform/tenant is marked resolved; if it comes back it is reopened and
 * keeps its first-seen scan (it is the same finding, reappearing).
 *
 * Recording is incremental: each draft is compared with its stored row inside SQLite (no stored row
 * comes into JavaScript); only new and changed findings are staged (appended to a TEMP table, outside
 * the database file) and written. Unchanged ones are only listed by fingerprint: an open one seen
 * again costs no write at all, because its last seen is its source's newest recording
 * (`finding_sources`), moved once per source in the same short transaction that writes the staged
 * rows and resolves the findings that went away.
 */

export class FindingsTable {
  constructor(private readonly db: Database.Database) {}

  /**
   * Starts a recording: fresh scratch tables in the connection's TEMP schema. `seen_findings` lists
   * each fingerprint seen once, with the rowid of its staged row (0: unchanged, nothing staged);
   * `staged_rows` is appended to (a rowid table: an insert in fingerprint order would be a random
   * B-tree insert per draft), and only the rows `seen_findings` points at are written.
   */
  private prepareScratch(): void {
    this.db.exec(`
      CREATE TEMP TABLE IF NOT EXISTS seen_findings (fingerprint TEXT PRIMARY KEY, staged INTEGER NOT NULL) WITHOUT ROWID;
      CREATE TEMP TABLE IF NOT EXISTS staged_rows (${COLUMN_LIST});
      CREATE TEMP TABLE IF NOT EXISTS staged_carry (platform TEXT NOT NULL, tenant TEXT NOT NULL,
        identity_key TEXT NOT NULL, valid_until INTEGER, projection TEXT);
      DELETE FROM temp.seen_findings;
      DELETE FROM temp.staged_rows;
      DELETE FROM temp.staged_carry;`);
  }

  private dropScratch(): void {
    this.db.exec(
      'DELETE FROM temp.seen_findings; DELETE FROM temp.staged_rows; DELETE FROM temp.staged_carry;',
    );
  }

  /**
   * Records `drafts` (any number, in batches) as seen at `scanId`; resolves open findings of `sources`
   * that were not seen. Nothing is visible, and nothing changes in the file, until the final transaction.
   * Duplicate fingerprints: the last draft wins.
   */
  async record(
    scanId: number,
    drafts: AsyncIterable<readonly FindingDraft[]> | Iterable<readonly FindingDraft[]>,
    seenAt: string,
    sources: ReadonlyArray<{ platform: string; tenant: string }>,
    options: RecordFindingsOptions & { location: string } = { location: 'store' },
  ): Promise<FindingsRecorded> {
    this.prepareScratch();
    try {
      // One statement per draft: staged unless its stored row has the same content (compared in
      // SQLite, byte for byte, NULL matching NULL), so an unchanged finding's columns never cross
      // into JavaScript. Faster than a multi-row VALUES or a json_each batch (measured: the bound
      // strings of a 1,000-row batch cost more to encode and parse than 1,000 `run`s).
      const stage = this.db.prepare<[ContentColumns]>(
        `INSERT INTO temp.staged_rows (${COLUMN_LIST})
         SELECT ${['fingerprint', ...CONTENT].map((c) => `:${c}`).join(', ')}
         WHERE NOT EXISTS (SELECT 1 FROM stored_findings WHERE fingerprint = :fingerprint
           AND ${CONTENT.map((c) => `${c} IS :${c}`).join(' AND ')})`,
      );
      // One statement per batch, not per draft: [fingerprint, staged rowid or 0] pairs.
      const markSeen = this.db.prepare(
        `INSERT INTO temp.seen_findings (fingerprint, staged)
         SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]') FROM json_each(?) WHERE true
         ON CONFLICT (fingerprint) DO UPDATE SET staged = excluded.staged`,
      );
      const draftSources = new Map<string, { platform: string; tenant: string }>();
      const stageBatch = this.db.transaction((batch: readonly FindingDraft[]) => {
        const latest = new Map<string, FindingDraft>();
        for (const d of batch) latest.set(d.fingerprint, d);
        const seen: [string, number][] = [];
        let source: FindingDraft | undefined;
        for (const [fingerprint, d] of latest) {
          if (source === undefined || d.platform !== source.platform || d.tenant !== source.tenant) {
            source = d;
            draftSources.set(sourceKey(d), { platform: d.platform, tenant: d.tenant });
          }
          const staged = stage.run(columnsOf(d));
          seen.push([fingerprint, staged.changes === 0 ? 0 : Number(staged.lastInsertRowid)]);
        }
        markSeen.run(JSON.stringify(seen));
      });
      // Until when each evaluated identity's findings hold: appended as they come (Infinity is not stored).
      const stageCarry = this.db.prepare(
        `INSERT INTO temp.staged_carry (platform, tenant, identity_key, valid_until, projection)
         SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]'), json_extract(value, '$[2]'),
           json_extract(value, '$[3]'), json_extract(value, '$[4]') FROM json_each(?)`,
      );
      const drainValidity = () => {
        const entries = (options.validity?.drain() ?? []).filter(
          (v) => v.validUntil !== Number.POSITIVE_INFINITY || v.projection !== null,
        );
        if (entries.length === 0) return;
        stageCarry.run(JSON.stringify(entries.map(carryRow)));
      };
      for await (const batch of drafts) {
        stageBatch(batch);
        drainValidity();
      }
      drainValidity();
      return this.merge(scanId, seenAt, sources, draftSources, options);
    } finally {
      this.dropScratch();
    }
  }

  /**
   * One write transaction: each source's newest recording moved on, staged rows upserted, unchanged
   * rows touched only when their stored seen/resolved columns change, the absent resolved.
   *
   * An open finding that its source's newest recording saw stores no last seen of its own (NULL): it
   * is that recording's, in `finding_sources` (migration 007). So re-recording an unchanged open
   * finding writes nothing; moving the source's recording on is one row per source. Only findings the
   * recording did not see get a last seen of their own (the recording before), before it moves.
   */
  private merge(
    scanId: number,
    seenAt: string,
    sources: ReadonlyArray<{ platform: string; tenant: string }>,
    draftSources: ReadonlyMap<string, { platform: string; tenant: string }>,
    options: RecordFindingsOptions & { location: string },
  ): FindingsRecorded {
    return this.db
      .transaction(() => {
        const params = { scan: scanId, at: seenAt };
        // Before the recording moves on: carried findings are those its source's newest recording saw.
        const carried = this.carry(options.carry ?? [], options.location);
        const count = (sql: string) => this.db.prepare(sql).pluck().get() as number;
        const total = count('SELECT count(*) FROM temp.seen_findings');
        const staged = count('SELECT count(*) FROM temp.seen_findings WHERE staged <> 0');
        const changed = count(
          'SELECT count(*) FROM temp.seen_findings AS s WHERE staged <> 0 AND EXISTS (SELECT 1 FROM stored_findings AS f WHERE f.fingerprint = s.fingerprint)',
        );
        const recorded = new Map(draftSources);
        for (const s of sources) recorded.set(sourceKey(s), s);
        const inputs = options.inputs ?? null;
        const asOf = options.asOf ?? null;
        for (const source of recorded.values()) {
          if (this.moveRecording(source, { ...params, inputs, asOf }))
            this.replaceCarry(source, options.carry ?? []);
        }
        // The row's source's newest recording, after moveRecording: at or after this scan.
        const newest = (row: string) =>
          `(SELECT p.last_seen_scan FROM finding_sources AS p WHERE p.platform = ${row}.platform AND p.tenant = ${row}.tenant)`;
        // Seen now: no last seen of its own if it is (or stays) open and this recording is its source's
        // newest (or it had none: it was seen by the newest). Else the later of its own and this scan.
        const keepsNoLastSeen = (newestOfRow: string) =>
          `(resolved_scan IS NULL OR resolved_scan <= :scan) AND (${newestOfRow} <= :scan OR last_seen_scan IS NULL)`;
        const seenColumns = (newestOfRow: string) => `
               first_seen_at = CASE WHEN :scan < first_seen_scan THEN :at ELSE first_seen_at END,
               first_seen_scan = min(first_seen_scan, :scan),
               last_seen_at = CASE WHEN ${keepsNoLastSeen(newestOfRow)} THEN NULL
                 WHEN :scan >= last_seen_scan THEN :at ELSE last_seen_at END,
               last_seen_scan = CASE WHEN ${keepsNoLastSeen(newestOfRow)} THEN NULL
                 ELSE max(last_seen_scan, :scan) END,
               resolved_at = CASE WHEN resolved_scan <= :scan THEN NULL ELSE resolved_at END,
               resolved_scan = CASE WHEN resolved_scan <= :scan THEN NULL ELSE resolved_scan END`;
        this.db
          .prepare(
            `INSERT INTO stored_findings (${COLUMN_LIST}, first_seen_scan, first_seen_at, last_seen_scan, last_seen_at)
             SELECT ${['fingerprint', ...CONTENT].map((c) => `s.${c}`).join(', ')}, :scan, :at,
               CASE WHEN ${newest('s')} <= :scan THEN NULL ELSE :scan END,
               CASE WHEN ${newest('s')} <= :scan THEN NULL ELSE :at END
             FROM temp.seen_findings AS j CROSS JOIN temp.staged_rows AS s ON s.rowid = j.staged
             WHERE j.staged <> 0
             ON CONFLICT (fingerprint) DO UPDATE SET
               ${CONTENT.map((c) => `${c} = excluded.${c}`).join(', ')},
               ${seenColumns(newest('excluded'))}`,
          )
          .run(params);
        // Unchanged findings: written only when a stored seen/resolved column moves (reopened, or
        // last seen of its own, or an older scan recorded late). The rest cost nothing.
        this.db
          .prepare(
            `UPDATE stored_findings SET ${seenColumns(newest('stored_findings'))}
             WHERE fingerprint IN (SELECT fingerprint FROM temp.seen_findings WHERE staged = 0)
               AND (last_seen_scan IS NOT NULL OR resolved_scan IS NOT NULL OR first_seen_scan > :scan)`,
          )
          .run(params);
        const resolve = this.db.prepare(`
          UPDATE stored_findings SET resolved_scan = :scan, resolved_at = :at
          WHERE platform = :platform AND tenant = :tenant AND resolved_scan IS NULL
            AND last_seen_scan IS NOT NULL AND last_seen_scan < :scan`);
        let resolved = 0;
        for (const s of sources) resolved += resolve.run({ ...params, ...s }).changes;
        return {
          total,
          added: staged - changed,
          changed,
          unchanged: total - staged,
          resolved,
          ...(carried && { carried }),
        };
      })
      .immediate();
  }

  /**
   * Marks seen, unchanged, the findings each `carry` names: open, seen by the source's newest recording
   * (no last seen of their own), of its rules, about identities whose records did not change. Refuses
   * when that recording is not the one the analysis checked (scan and inputs). Counts what it carried.
   */
  private carry(
    carries: readonly FindingsCarry[],
    location: string,
  ): FindingsRecorded['carried'] | undefined {
    if (carries.length === 0) return undefined;
    const recording = this.db.prepare<
      [string, string],
      { last_seen_scan: number; analysis_inputs: string | null }
    >('SELECT last_seen_scan, analysis_inputs FROM finding_sources WHERE platform = ? AND tenant = ?');
    // One pass over the source's findings into a scratch list, then tallied and marked seen from it.
    // `"excepted":true` can only be the key (quotes inside JSON strings are escaped), and finding it
    // costs less than parsing every row's governance JSON.
    this.db.exec(`CREATE TEMP TABLE IF NOT EXISTS carried_findings (fingerprint TEXT PRIMARY KEY, severity TEXT NOT NULL,
      excepted INTEGER NOT NULL) WITHOUT ROWID; DELETE FROM temp.carried_findings;`);
    const collect = this.db.prepare(
      `INSERT INTO temp.carried_findings (fingerprint, severity, excepted)
       SELECT fingerprint, severity, coalesce(instr(governance, '"excepted":true') > 0, 0) FROM stored_findings
       WHERE platform = :platform AND tenant = :tenant AND resolved_scan IS NULL AND last_seen_scan IS NULL
         AND rule IN (SELECT value FROM json_each(:rules))
         AND identity_kind || ':' || identity_id NOT IN (SELECT value FROM json_each(:changed))
         AND fingerprint NOT IN (SELECT fingerprint FROM temp.seen_findings)
       ON CONFLICT (fingerprint) DO NOTHING`,
    );
    const out: NonNullable<FindingsRecorded['carried']> = { bySeverity: {}, excepted: 0 };
    for (const c of carries) {
      const r = recording.get(c.platform, c.tenant);
      if (r?.last_seen_scan !== c.fromScan || r.analysis_inputs !== c.inputs) {
        throw new StoreError(
          location,
          `the findings of ${c.platform}/${c.tenant} were recorded by another run meanwhile; analyse again`,
        );
      }
      const params = {
        platform: c.platform,
        tenant: c.tenant,
        rules: JSON.stringify(c.rules),
        changed: JSON.stringify(c.changedIdentities),
      };
      collect.run(params);
    }
    const tally = this.db
      .prepare<[], { severity: Severity; excepted: number; n: number }>(
        'SELECT severity, excepted, count(*) AS n FROM temp.carried_findings GROUP BY 1, 2',
      )
      .all();
    for (const t of tally) {
      if (t.excepted) out.excepted += t.n;
      else out.bySeverity[t.severity] = (out.bySeverity[t.severity] ?? 0) + t.n;
    }
    this.db.exec(
      'INSERT INTO temp.seen_findings (fingerprint, staged) SELECT fingerprint, 0 FROM temp.carried_findings; DELETE FROM temp.carried_findings;',
    );
    return out;
  }

  /**
   * The source's `finding_carry` after its recording moved to this one: what the source's previous
   * recording stored stays for the identities carried; the evaluated ones get what was staged.
   */
  private replaceCarry(
    source: { platform: string; tenant: string },
    carries: readonly FindingsCarry[],
  ): void {
    const c = carries.find((x) => x.platform === source.platform && x.tenant === source.tenant);
    if (c) {
      this.db
        .prepare(
          `DELETE FROM finding_carry WHERE platform = ? AND tenant = ?
             AND identity_key IN (SELECT value FROM json_each(?))`,
        )
        .run(source.platform, source.tenant, JSON.stringify(c.changedIdentities));
    } else {
      this.db
        .prepare('DELETE FROM finding_carry WHERE platform = ? AND tenant = ?')
        .run(source.platform, source.tenant);
    }
    this.db
      .prepare(
        `INSERT INTO finding_carry (platform, tenant, identity_key, valid_until, projection)
         SELECT platform, tenant, identity_key, valid_until, projection FROM temp.staged_carry
         WHERE platform = ? AND tenant = ? AND true
         ON CONFLICT (platform, tenant, identity_key) DO UPDATE SET valid_until = excluded.valid_until,
           projection = excluded.projection`,
      )
      .run(source.platform, source.tenant);
  }

  /** `SnapshotStore.findingsCarryExpired`. */
  carryExpired(platform: string, tenant: string, asOf: string): string[] {
    return this.db
      .prepare<[string, string, number], string>(
        'SELECT identity_key FROM finding_carry WHERE platform = ? AND tenant = ? AND valid_until <= ?',
      )
      .pluck()
      .all(platform, tenant, Date.parse(asOf));
  }

  /** `SnapshotStore.readCarriedProjections`. */
  *projections(platform: string, tenant: string): Generator<CarriedProjection> {
    yield* this.db
      .prepare<[string, string], CarriedProjection>(
        `SELECT identity_key AS identityKey, projection FROM finding_carry
         WHERE platform = ? AND tenant = ? AND projection IS NOT NULL ORDER BY identity_key`,
      )
      .iterate(platform, tenant);
  }

  /** `SnapshotStore.findingsRecordings`. */
  recordings(): FindingsRecording[] {
    return this.db
      .prepare<[], FindingsRecording>(
        `SELECT platform, tenant, last_seen_scan AS scanId, analysis_inputs AS inputs, analysis_as_of AS asOf
         FROM finding_sources`,
      )
      .all();
  }

  /**
   * Makes this scan its source's newest recording (unless a later scan already is). The source's open
   * findings that this recording did not see keep the recording before as their own last seen.
   */
  private moveRecording(
    source: { platform: string; tenant: string },
    params: { scan: number; at: string; inputs: string | null; asOf: string | null },
  ): boolean {
    const newest = this.db
      .prepare<[string, string], { last_seen_scan: number; last_seen_at: string }>(
        'SELECT last_seen_scan, last_seen_at FROM finding_sources WHERE platform = ? AND tenant = ?',
      )
      .get(source.platform, source.tenant);
    if (newest && newest.last_seen_scan > params.scan) return false;
    if (newest) {
      this.db
        .prepare(
          `UPDATE stored_findings SET last_seen_scan = :last_seen_scan, last_seen_at = :last_seen_at
           WHERE platform = :platform AND tenant = :tenant AND last_seen_scan IS NULL
             AND fingerprint NOT IN (SELECT fingerprint FROM temp.seen_findings)`,
        )
        .run({ ...newest, ...source });
    }
    this.db
      .prepare(
        `INSERT INTO finding_sources (platform, tenant, last_seen_scan, last_seen_at, analysis_inputs, analysis_as_of)
         VALUES (:platform, :tenant, :scan, :at, :inputs, :asOf)
         ON CONFLICT (platform, tenant) DO UPDATE SET last_seen_scan = excluded.last_seen_scan,
           last_seen_at = excluded.last_seen_at, analysis_inputs = excluded.analysis_inputs,
           analysis_as_of = excluded.analysis_as_of`,
      )
      .run({ ...source, ...params });
    return true;
  }

  /**
   * The findings recorded as seen at `scanId`, by fingerprint, in pages (valid while `scanId` is the
   * latest recording of their source: a later one moves their last seen on).
   */
  *seenAt(
    scanIds: number | readonly number[],
    severity: string | null = null,
    pageSize = 1000,
  ): Generator<Finding> {
    const page = this.db
      .prepare<[string, ...string[], number], SeenRow>(
        `SELECT ${COLUMN_LIST}, first_seen_at, last_seen_scan, last_seen_at
       FROM findings WHERE last_seen_scan IN (SELECT value FROM json_each(?))${severity === null ? '' : ' AND severity = ?'}
         AND fingerprint > ? ORDER BY fingerprint LIMIT ?`,
      )
      .raw(true);
    const ids = JSON.stringify(typeof scanIds === 'number' ? [scanIds] : scanIds);
    const bySeverity = severity === null ? [] : [severity];
    let after = '';
    while (true) {
      const rows = page.all(ids, ...bySeverity, after, pageSize);
      for (const r of rows) yield findingOf(r);
      if (rows.length < pageSize) return;
      after = rows[rows.length - 1]![0];
    }
  }

  /**
   * `seenAt`, most severe first, then by fingerprint (the outputs' order): one pass over the table for
   * the keys (rowids, sorted by SQLite), then the rows a page at a time by rowid. A read per severity
   * would pass over every row five times, each time through the fingerprint index to the row (a
   * reader's cache holds a fraction of the table). Holds the keys of all the findings (a number each).
   * Only the five known severities, as a read per severity would.
   */
  *seenAtBySeverity(
    scanIds: number | readonly number[],
    location: string,
    pageSize = 1000,
  ): Generator<Finding> {
    const rank = `CASE f.severity ${(Object.keys(SEVERITY_ORDER) as Severity[])
      .map((s) => `WHEN '${s}' THEN ${SEVERITY_ORDER[s]}`)
      .join(' ')} END`;
    const ids = JSON.stringify(typeof scanIds === 'number' ? [scanIds] : scanIds);
    const keys = this.db
      .prepare<[string], number>(
        `SELECT f.rowid FROM stored_findings AS f ${SOURCE_JOIN}
         WHERE ${LAST_SEEN_SCAN} IN (SELECT value FROM json_each(?)) AND ${rank} IS NOT NULL
         ORDER BY ${rank} DESC, f.fingerprint`,
      )
      .pluck()
      .all(ids);
    // The `findings` view's columns (migration 010), then the rowid.
    const page = this.db
      .prepare<[string], [...SeenRow, number]>(
        `SELECT ${['fingerprint', ...CONTENT].map((c) => `f.${c}`).join(', ')}, f.first_seen_at,
           ${LAST_SEEN_SCAN}, CASE WHEN f.last_seen_scan IS NULL THEN s.last_seen_at ELSE f.last_seen_at END,
           f.rowid
         FROM stored_findings AS f ${SOURCE_JOIN} WHERE f.rowid IN (SELECT value FROM json_each(?))`,
      )
      .raw(true);
    for (let i = 0; i < keys.length; i += pageSize) {
      const wanted = keys.slice(i, i + pageSize);
      const byRowid = new Map<number, SeenRow>();
      for (const r of page.all(JSON.stringify(wanted))) byRowid.set(r[17], r as unknown as SeenRow);
      for (const k of wanted) {
        const r = byRowid.get(k);
        // The read is one transaction: a key found is a row found.
        if (r === undefined) throw new StoreError(location, `finding row ${k} vanished during a read`);
        yield findingOf(r);
      }
    }
  }

  /** `SnapshotStore.findingsTrend`: one aggregate over the `findings` view per scan. */
  trend(scanIds: readonly number[]): FindingsTrendPoint[] {
    const count = this.db.prepare<
      [number, number, number, number, number],
      Omit<FindingsTrendPoint, 'scanId'>
    >(
      `SELECT
         coalesce(sum(first_seen_scan = ?), 0) AS opened,
         coalesce(sum(resolved_scan = ?), 0) AS resolved,
         coalesce(sum(first_seen_scan <= ? AND (resolved_scan IS NULL OR resolved_scan > ?)), 0) AS open
       FROM findings WHERE first_seen_scan <= ?`,
    );
    return scanIds.map((id) => ({ scanId: id, ...count.get(id, id, id, id, id)! }));
  }

  history(fingerprints: readonly string[]): Map<string, FindingHistory> {
    const rows = this.db
      .prepare<
        [string],
        {
          fingerprint: string;
          first_seen_at: string;
          last_seen_at: string;
          first_seen_scan: number;
          last_seen_scan: number;
        }
      >(
        `SELECT fingerprint, first_seen_at, last_seen_at, first_seen_scan, last_seen_scan FROM findings
         WHERE fingerprint IN (SELECT value FROM json_each(?))`,
      )
      .all(JSON.stringify(fingerprints));
    return new Map(
      rows.map((r) => [
        r.fingerprint,
        {
          firstSeen: r.first_seen_at,
          lastSeen: r.last_seen_at,
          firstScan: r.first_seen_scan,
          lastScan: r.last_seen_scan,
        },
      ]),
    );
  }
}
