import type Database from 'better-sqlite3';
import type { Finding, FindingDraft } from '../../findings/finding.js';

export interface FindingHistory {
  firstSeen: string;
  lastSeen: string;
  firstScan: number;
  lastScan: number;
}

/**
 * The findings table: one row per fingerprint, updated by each scan that sees it. A finding absent
 * from a later scan of its platform/tenant is marked resolved; if it comes back it is reopened and
 * keeps its first-seen scan (it is the same finding, reappearing).
 */
export class FindingsTable {
  private readonly upsert: Database.Statement;
  private readonly seen: Database.Statement<[string], { first_seen_at: string; first_seen_scan: number }>;
  private readonly resolve: Database.Statement;

  constructor(private readonly db: Database.Database) {
    this.upsert = db.prepare(`
      INSERT INTO findings (fingerprint, rule, severity, platform, tenant, identity_kind, identity_id, identity_name,
        subject, title, evidence, remediation, frameworks, first_seen_scan, first_seen_at, last_seen_scan, last_seen_at)
      VALUES (:fingerprint, :rule, :severity, :platform, :tenant, :identity_kind, :identity_id, :identity_name,
        :subject, :title, :evidence, :remediation, :frameworks, :scan, :at, :scan, :at)
      ON CONFLICT (fingerprint) DO UPDATE SET
        rule = excluded.rule, severity = excluded.severity, platform = excluded.platform, tenant = excluded.tenant,
        identity_kind = excluded.identity_kind, identity_id = excluded.identity_id,
        identity_name = excluded.identity_name, subject = excluded.subject, title = excluded.title,
        evidence = excluded.evidence, remediation = excluded.remediation, frameworks = excluded.frameworks,
        first_seen_scan = min(first_seen_scan, excluded.first_seen_scan),
        first_seen_at = CASE WHEN excluded.first_seen_scan < first_seen_scan THEN excluded.first_seen_at ELSE first_seen_at END,
        last_seen_at = CASE WHEN excluded.last_seen_scan >= last_seen_scan THEN excluded.last_seen_at ELSE last_seen_at END,
        last_seen_scan = max(last_seen_scan, excluded.last_seen_scan),
        resolved_scan = CASE WHEN resolved_scan <= excluded.last_seen_scan THEN NULL ELSE resolved_scan END,
        resolved_at = CASE WHEN resolved_scan <= excluded.last_seen_scan THEN NULL ELSE resolved_at END`);
    this.seen = db.prepare('SELECT first_seen_at, first_seen_scan FROM findings WHERE fingerprint = ?');
    this.resolve = db.prepare(`
      UPDATE findings SET resolved_scan = :scan, resolved_at = :at
      WHERE platform = :platform AND tenant = :tenant AND resolved_scan IS NULL AND last_seen_scan < :scan`);
  }

  /** Upserts `drafts` as seen at `scanId`; resolves open findings of `sources` that were not seen. */
  record(
    scanId: number,
    drafts: readonly FindingDraft[],
    seenAt: string,
    sources: ReadonlyArray<{ platform: string; tenant: string }>,
  ): Finding[] {
    return this.db
      .transaction(() => {
        const latest = new Map<string, FindingDraft>();
        for (const d of drafts) latest.set(d.fingerprint, d);
        const out: Finding[] = [];
        for (const d of latest.values()) {
          this.upsert.run({
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
            scan: scanId,
            at: seenAt,
          });
          const first = this.seen.get(d.fingerprint)!;
          out.push({ ...d, firstSeen: first.first_seen_at, lastSeen: seenAt, scanId });
        }
        for (const s of sources)
          this.resolve.run({ scan: scanId, at: seenAt, platform: s.platform, tenant: s.tenant });
        return out;
      })
      .immediate();
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
