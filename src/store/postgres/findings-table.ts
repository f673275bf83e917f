import type pg from 'pg';
import { StoreError } from '../../errors.js';
import type { Finding, FindingDraft } from '../../findings/finding.js';
import { SEVERITY_ORDER, type Severity } from '../../findings/severity.js';
import { carryRow } from '../carry-rows.js';
import type {
  CarriedProjection,
  FindingsCarry,
  FindingsRecorded,
  FindingsRecording,
  RecordFindingsOptions,
} from '../store.js';
import { cursorRows } from './readers.js';

export interface FindingHistory {
  firstSeen: string;
  lastSeen: string;
  firstScan: number;
  lastScan: number;
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
] as const;
type ContentColumns = { fingerprint: string } & Record<(typeof CONTENT)[number], string | null>;
const COLUMNS = ['fingerprint', ...CONTENT] as const;
const COLUMN_LIST = COLUMNS.join(', ');
const GOVERNANCE_KEYS = ['owner', 'approval', 'exception', 'excepted'] as const;

/** As the SQLite store stores a draft (src/store/sqlite/findings-table.ts): the same text, byte for byte. */
function columnsOf(d: FindingDraft): ContentColumns {
  const present = GOVERNANCE_KEYS.filter((k) => d[k] !== undefined);
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
    governance:
      present.length === 0 ? null : JSON.stringify(Object.fromEntries(present.map((k) => [k, d[k]]))),
  };
}

interface StoredRow extends ContentColumns {
  first_seen_at: string;
  last_seen_at: string;
}

function findingOf(r: StoredRow, scanId: number): Finding {
  return {
    fingerprint: r.fingerprint,
    rule: r.rule!,
    severity: r.severity as Finding['severity'],
    platform: r.platform!,
    tenant: r.tenant!,
    identity: { kind: r.identity_kind!, id: r.identity_id!, name: r.identity_name },
    subject: r.subject,
    title: r.title!,
    evidence: JSON.parse(r.evidence!),
    remediation: r.remediation!,
    frameworks: JSON.parse(r.frameworks!),
    ...(r.governance !== null &&
      (JSON.parse(r.governance) as Pick<Finding, (typeof GOVERNANCE_KEYS)[number]>)),
    firstSeen: r.first_seen_at,
    lastSeen: r.last_seen_at,
    scanId,
  };
}

const sourceKey = (s: { platform: string; tenant: string }) => JSON.stringify([s.platform, s.tenant]);

/**
 * Records findings on PostgreSQL with the SQLite store's semantics (see its findings-table.ts): only new
 * and changed findings are written, an unchanged open one costs nothing (its last seen is its source's
 * newest recording in `finding_sources`), the absent are resolved. One transaction: nothing is visible
 * until all of it is recorded. $1 is the scan, $2 the time it was seen.
 */
export async function recordFindings(
  client: pg.PoolClient,
  scanId: number,
  drafts: AsyncIterable<readonly FindingDraft[]> | Iterable<readonly FindingDraft[]>,
  seenAt: string,
  sources: ReadonlyArray<{ platform: string; tenant: string }>,
  options: RecordFindingsOptions & { location: string } = { location: 'store' },
): Promise<FindingsRecorded> {
  await client.query('BEGIN');
  try {
    await client.query(
      `CREATE TEMP TABLE seen_findings (fingerprint text PRIMARY KEY, staged boolean NOT NULL) ON COMMIT DROP;
       CREATE TEMP TABLE staged_findings (${COLUMNS.map((c) => `${c} text`).join(', ')}, PRIMARY KEY (fingerprint)) ON COMMIT DROP;
       CREATE TEMP TABLE staged_carry (platform text NOT NULL, tenant text NOT NULL, identity_key text NOT NULL,
         valid_until bigint, projection text) ON COMMIT DROP;`,
    );
    // Until when each evaluated identity's findings hold, and its projection, as they come.
    const drainValidity = async () => {
      const rows = (options.validity?.drain() ?? [])
        .filter((v) => v.validUntil !== Number.POSITIVE_INFINITY || v.projection !== null)
        .map(carryRow);
      if (rows.length === 0) return;
      await client.query(
        `INSERT INTO staged_carry (platform, tenant, identity_key, valid_until, projection)
         SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::text[])`,
        [0, 1, 2, 3, 4].map((i) => rows.map((r) => (i === 3 && r[3] !== null ? String(r[3]) : r[i]))),
      );
    };
    const draftSources = new Map<string, { platform: string; tenant: string }>();
    for await (const batch of drafts) {
      await drainValidity();
      const latest = new Map<string, ContentColumns>();
      for (const d of batch) {
        latest.set(d.fingerprint, columnsOf(d));
        draftSources.set(sourceKey(d), { platform: d.platform, tenant: d.tenant });
      }
      if (latest.size === 0) continue;
      const stored = await client.query<ContentColumns>(
        `SELECT ${COLUMN_LIST} FROM stored_findings WHERE fingerprint = ANY($1::text[])`,
        [[...latest.keys()]],
      );
      const rows = new Map(stored.rows.map((r) => [r.fingerprint, r]));
      const changed: ContentColumns[] = [];
      const seen: Array<[string, boolean]> = [];
      for (const [fingerprint, cols] of latest) {
        const row = rows.get(fingerprint);
        const same = row !== undefined && CONTENT.every((c) => row[c] === cols[c]);
        if (!same) changed.push(cols);
        seen.push([fingerprint, !same]);
      }
      if (changed.length > 0) {
        // One multi-row statement per batch, column arrays unnested.
        await client.query(
          `INSERT INTO staged_findings (${COLUMN_LIST})
           SELECT * FROM unnest(${COLUMNS.map((_, i) => `$${i + 1}::text[]`).join(', ')})
           ON CONFLICT (fingerprint) DO UPDATE SET ${CONTENT.map((c) => `${c} = excluded.${c}`).join(', ')}`,
          COLUMNS.map((c) => changed.map((r) => r[c])),
        );
      }
      await client.query(
        `INSERT INTO seen_findings (fingerprint, staged) SELECT * FROM unnest($1::text[], $2::boolean[])
         ON CONFLICT (fingerprint) DO UPDATE SET staged = excluded.staged`,
        [seen.map((s) => s[0]), seen.map((s) => s[1])],
      );
    }
    await drainValidity();
    const result = await merge(client, scanId, seenAt, sources, draftSources, options);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  }
}

async function merge(
  client: pg.PoolClient,
  scanId: number,
  seenAt: string,
  sources: ReadonlyArray<{ platform: string; tenant: string }>,
  draftSources: ReadonlyMap<string, { platform: string; tenant: string }>,
  options: RecordFindingsOptions & { location: string },
): Promise<FindingsRecorded> {
  const params = [scanId, seenAt];
  // A duplicate draft in a later batch, unchanged, replaces what an earlier one staged.
  await client.query(
    'DELETE FROM staged_findings WHERE fingerprint IN (SELECT fingerprint FROM seen_findings WHERE NOT staged)',
  );
  // Before the recording moves on: carried findings are those its source's newest recording saw.
  const carried = await carry(client, options.carry ?? [], options.location);
  const count = async (sql: string) => Number((await client.query<{ n: string }>(sql)).rows[0]!.n);
  const total = await count('SELECT count(*) AS n FROM seen_findings');
  const staged = await count('SELECT count(*) AS n FROM staged_findings');
  const changed = await count(
    'SELECT count(*) AS n FROM staged_findings AS s WHERE EXISTS (SELECT 1 FROM stored_findings AS f WHERE f.fingerprint = s.fingerprint)',
  );
  const recorded = new Map(draftSources);
  for (const s of sources) recorded.set(sourceKey(s), s);
  // Sources in a stable order: two recordings of overlapping sources lock rows in the same order.
  for (const source of [...recorded.values()].sort((a, b) => (sourceKey(a) < sourceKey(b) ? -1 : 1))) {
    if (await moveRecording(client, source, scanId, seenAt, options.inputs ?? null, options.asOf ?? null))
      await replaceCarry(client, source, options.carry ?? []);
  }
  const newest = (row: string) =>
    `(SELECT p.last_seen_scan FROM finding_sources AS p WHERE p.platform = ${row}.platform AND p.tenant = ${row}.tenant)`;
  const keepsNoLastSeen = (t: string, newestOfRow: string) =>
    `(${t}.resolved_scan IS NULL OR ${t}.resolved_scan <= $1) AND (${newestOfRow} <= $1 OR ${t}.last_seen_scan IS NULL)`;
  const seenColumns = (t: string, newestOfRow: string) => `
    first_seen_at = CASE WHEN $1 < ${t}.first_seen_scan THEN $2 ELSE ${t}.first_seen_at END,
    first_seen_scan = LEAST(${t}.first_seen_scan, $1),
    last_seen_at = CASE WHEN ${keepsNoLastSeen(t, newestOfRow)} THEN NULL
      WHEN $1 >= ${t}.last_seen_scan THEN $2 ELSE ${t}.last_seen_at END,
    last_seen_scan = CASE WHEN ${keepsNoLastSeen(t, newestOfRow)} THEN NULL ELSE GREATEST(${t}.last_seen_scan, $1) END,
    resolved_at = CASE WHEN ${t}.resolved_scan <= $1 THEN NULL ELSE ${t}.resolved_at END,
    resolved_scan = CASE WHEN ${t}.resolved_scan <= $1 THEN NULL ELSE ${t}.resolved_scan END`;
  await client.query(
    `INSERT INTO stored_findings AS f (${COLUMN_LIST}, first_seen_scan, first_seen_at, last_seen_scan, last_seen_at)
     SELECT ${COLUMN_LIST}, $1, $2,
       CASE WHEN ${newest('s')} <= $1 THEN NULL ELSE $1::bigint END,
       CASE WHEN ${newest('s')} <= $1 THEN NULL ELSE $2 END
     FROM staged_findings AS s
     ON CONFLICT (fingerprint) DO UPDATE SET
       ${CONTENT.map((c) => `${c} = excluded.${c}`).join(', ')},
       ${seenColumns('f', newest('f'))}`,
    params,
  );
  await client.query(
    `UPDATE stored_findings AS f SET ${seenColumns('f', newest('f'))}
     WHERE f.fingerprint IN (SELECT fingerprint FROM seen_findings WHERE NOT staged)
       AND (f.last_seen_scan IS NOT NULL OR f.resolved_scan IS NOT NULL OR f.first_seen_scan > $1)`,
    params,
  );
  let resolved = 0;
  for (const s of sources) {
    const r = await client.query(
      `UPDATE stored_findings SET resolved_scan = $1, resolved_at = $2
       WHERE platform = $3 AND tenant = $4 AND resolved_scan IS NULL
         AND last_seen_scan IS NOT NULL AND last_seen_scan < $1`,
      [...params, s.platform, s.tenant],
    );
    resolved += r.rowCount ?? 0;
  }
  return {
    total,
    added: staged - changed,
    changed,
    unchanged: total - staged,
    resolved,
    ...(carried && { carried }),
  };
}

/**
 * Marks seen, unchanged, the findings each `carry` names (see the SQLite store's `FindingsTable.carry`):
 * open, seen by the source's newest recording, of its rules, about identities whose records did not
 * change. Refuses when that recording is not the one the analysis checked. Counts what it carried.
 */
async function carry(
  client: pg.PoolClient,
  carries: readonly FindingsCarry[],
  location: string,
): Promise<FindingsRecorded['carried'] | undefined> {
  if (carries.length === 0) return undefined;
  const out: NonNullable<FindingsRecorded['carried']> = { bySeverity: {}, excepted: 0 };
  // Sources in a stable order, as moveRecording locks them.
  for (const c of [...carries].sort((a, b) => (sourceKey(a) < sourceKey(b) ? -1 : 1))) {
    const r = (
      await client.query<{ last_seen_scan: string; analysis_inputs: string | null }>(
        'SELECT last_seen_scan, analysis_inputs FROM finding_sources WHERE platform = $1 AND tenant = $2 FOR UPDATE',
        [c.platform, c.tenant],
      )
    ).rows[0];
    if (!r || Number(r.last_seen_scan) !== c.fromScan || r.analysis_inputs !== c.inputs) {
      throw new StoreError(
        location,
        `the findings of ${c.platform}/${c.tenant} were recorded by another run meanwhile; analyse again`,
      );
    }
    const rows = (
      await client.query<{ severity: Severity; excepted: boolean; n: string }>(
        `WITH carried AS (
           INSERT INTO seen_findings (fingerprint, staged)
           SELECT fingerprint, false FROM stored_findings
           WHERE platform = $1 AND tenant = $2 AND resolved_scan IS NULL AND last_seen_scan IS NULL
             AND rule = ANY($3::text[])
             AND NOT (identity_kind || ':' || identity_id = ANY($4::text[]))
             AND fingerprint NOT IN (SELECT fingerprint FROM seen_findings)
           RETURNING fingerprint)
         SELECT f.severity, coalesce((f.governance::jsonb ->> 'excepted')::boolean, false) AS excepted, count(*) AS n
         FROM carried JOIN stored_findings AS f USING (fingerprint) GROUP BY 1, 2`,
        [c.platform, c.tenant, [...c.rules], [...c.changedIdentities]],
      )
    ).rows;
    for (const t of rows) {
      if (t.excepted) out.excepted += Number(t.n);
      else out.bySeverity[t.severity] = (out.bySeverity[t.severity] ?? 0) + Number(t.n);
    }
  }
  return out;
}

/** `SnapshotStore.findingsRecordings`. */
export async function findingsRecordings(client: pg.PoolClient): Promise<FindingsRecording[]> {
  const r = await client.query<{
    platform: string;
    tenant: string;
    scan_id: string;
    inputs: string | null;
    as_of: string | null;
  }>(
    'SELECT platform, tenant, last_seen_scan AS scan_id, analysis_inputs AS inputs, analysis_as_of AS as_of FROM finding_sources',
  );
  return r.rows.map((row) => ({
    platform: row.platform,
    tenant: row.tenant,
    scanId: Number(row.scan_id),
    inputs: row.inputs,
    asOf: row.as_of,
  }));
}

/** `SnapshotStore.readCarriedProjections`. */
export async function* findingsCarriedProjections(
  client: pg.PoolClient,
  platform: string,
  tenant: string,
): AsyncGenerator<CarriedProjection> {
  yield* cursorRows<CarriedProjection>(
    client,
    `SELECT identity_key COLLATE "C" AS "identityKey", projection FROM finding_carry
     WHERE platform = $1 AND tenant = $2 AND projection IS NOT NULL ORDER BY 1`,
    [platform, tenant],
  );
}

/** `SnapshotStore.findingsCarryExpired`. */
export async function findingsCarryExpired(
  client: pg.PoolClient,
  platform: string,
  tenant: string,
  asOf: string,
): Promise<string[]> {
  const r = await client.query<{ identity_key: string }>(
    'SELECT identity_key FROM finding_carry WHERE platform = $1 AND tenant = $2 AND valid_until <= $3',
    [platform, tenant, String(Date.parse(asOf))],
  );
  return r.rows.map((row) => row.identity_key);
}

/**
 * The source's `finding_carry` after its recording moved to this one (see the SQLite store's
 * `FindingsTable.replaceCarry`): kept for the identities carried, what was staged for the evaluated.
 */
async function replaceCarry(
  client: pg.PoolClient,
  source: { platform: string; tenant: string },
  carries: readonly FindingsCarry[],
): Promise<void> {
  const c = carries.find((x) => x.platform === source.platform && x.tenant === source.tenant);
  if (c) {
    await client.query(
      'DELETE FROM finding_carry WHERE platform = $1 AND tenant = $2 AND identity_key = ANY($3::text[])',
      [source.platform, source.tenant, [...c.changedIdentities]],
    );
  } else {
    await client.query('DELETE FROM finding_carry WHERE platform = $1 AND tenant = $2', [
      source.platform,
      source.tenant,
    ]);
  }
  await client.query(
    `INSERT INTO finding_carry (platform, tenant, identity_key, valid_until, projection)
     SELECT DISTINCT ON (identity_key) platform, tenant, identity_key, valid_until, projection FROM staged_carry
     WHERE platform = $1 AND tenant = $2
     ON CONFLICT (platform, tenant, identity_key) DO UPDATE SET valid_until = excluded.valid_until,
       projection = excluded.projection`,
    [source.platform, source.tenant],
  );
}

async function moveRecording(
  client: pg.PoolClient,
  source: { platform: string; tenant: string },
  scanId: number,
  seenAt: string,
  inputs: string | null,
  asOf: string | null,
): Promise<boolean> {
  const newest = (
    await client.query<{ last_seen_scan: string; last_seen_at: string }>(
      'SELECT last_seen_scan, last_seen_at FROM finding_sources WHERE platform = $1 AND tenant = $2 FOR UPDATE',
      [source.platform, source.tenant],
    )
  ).rows[0];
  if (newest && Number(newest.last_seen_scan) > scanId) return false;
  if (newest) {
    await client.query(
      `UPDATE stored_findings SET last_seen_scan = $1, last_seen_at = $2
       WHERE platform = $3 AND tenant = $4 AND last_seen_scan IS NULL
         AND fingerprint NOT IN (SELECT fingerprint FROM seen_findings)`,
      [newest.last_seen_scan, newest.last_seen_at, source.platform, source.tenant],
    );
  }
  await client.query(
    `INSERT INTO finding_sources (platform, tenant, last_seen_scan, last_seen_at, analysis_inputs, analysis_as_of)
     VALUES ($1, $2, $3, $4, $5, $6)
     ON CONFLICT (platform, tenant) DO UPDATE SET last_seen_scan = excluded.last_seen_scan,
       last_seen_at = excluded.last_seen_at, analysis_inputs = excluded.analysis_inputs,
       analysis_as_of = excluded.analysis_as_of`,
    [source.platform, source.tenant, scanId, seenAt, inputs, asOf],
  );
  return true;
}

/** The findings recorded as seen at any of `scanIds`, by fingerprint (byte order), keyset-paged. */
export async function* findingsSeenAt(
  client: pg.PoolClient,
  scanIds: readonly number[],
  severity: string | null = null,
  pageSize = 1000,
): AsyncGenerator<Finding> {
  let after = '';
  while (true) {
    const rows = (
      await client.query<StoredRow & { last_seen_scan: string }>(
        `SELECT ${COLUMN_LIST}, first_seen_at, last_seen_at, last_seen_scan FROM findings
         WHERE last_seen_scan = ANY($1::bigint[]) AND ($4::text IS NULL OR severity = $4)
           AND fingerprint COLLATE "C" > $2
         ORDER BY fingerprint COLLATE "C" LIMIT $3`,
        [scanIds, after, pageSize, severity],
      )
    ).rows;
    for (const r of rows) yield findingOf(r, Number(r.last_seen_scan));
    if (rows.length < pageSize) return;
    after = rows[rows.length - 1]!.fingerprint;
  }
}

/**
 * `findingsSeenAt` of each severity, most severe first (`SnapshotStore.readFindings` with `order:
 * 'severity'`): one keyset-paged read per severity, in the caller's one transaction.
 */
export async function* findingsBySeverity(
  client: pg.PoolClient,
  scanIds: readonly number[],
): AsyncGenerator<Finding> {
  const severities = (Object.keys(SEVERITY_ORDER) as Severity[]).sort(
    (a, b) => SEVERITY_ORDER[b] - SEVERITY_ORDER[a],
  );
  for (const severity of severities) yield* findingsSeenAt(client, scanIds, severity);
}

export async function findingHistory(
  client: pg.PoolClient,
  fingerprints: readonly string[],
): Promise<Map<string, FindingHistory>> {
  const r = await client.query<{
    fingerprint: string;
    first_seen_at: string;
    last_seen_at: string;
    first_seen_scan: string;
    last_seen_scan: string;
  }>(
    `SELECT fingerprint, first_seen_at, last_seen_at, first_seen_scan, last_seen_scan FROM findings
     WHERE fingerprint = ANY($1::text[])`,
    [[...fingerprints]],
  );
  return new Map(
    r.rows.map((row) => [
      row.fingerprint,
      {
        firstSeen: row.first_seen_at,
        lastSeen: row.last_seen_at,
        firstScan: Number(row.first_seen_scan),
        lastScan: Number(row.last_seen_scan),
      },
    ]),
  );
}
