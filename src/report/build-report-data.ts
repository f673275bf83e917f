import type { CoverageReport } from '../connector/coverage.js';
import { type Finding, SEVERITY_ORDER, type Severity } from '../findings/finding.js';
import { EMPTY_GOVERNANCE, type Governance } from '../governance/model.js';
import { type PersonDirectory, readPeopleDirectory, registeredAccounts } from '../governance/people.js';
import { ReviewsInForce } from '../governance/reviews-in-force.js';
import { RISK_ORDER, type RiskTier } from '../model/common.js';
import { emptyCounts } from '../output/views/findings.js';
import { governanceOf } from '../output/views/inventory.js';
import { coverageRows, incompleteCollectors } from '../output/views/scan.js';
import { compareFindings } from '../rules/evaluate.js';
import { selectionCoverage } from '../selection/describe-selection.js';
import { asSelection, type ScanSelection } from '../selection/scan-selection.js';
import { readSelectedSnapshot } from '../selection/selection-reads.js';
import type { IdentityBundle, ScanSummary, SnapshotStore } from '../store/store.js';
import { TOOL_VERSION } from '../version.js';
import { controlKeys, frameworkView } from './framework-view.js';
import type {
  ReportData,
  ReportHistoryPoint,
  ReportIdentity,
  ReportOwner,
  ReportReview,
} from './report-data.js';

export interface ReportInput {
  store: SnapshotStore;
  /** The scan reported on, or a selection of scans (the newest of each tenant: a round). */
  scan: ScanSummary | ScanSelection;
  /** The scan's findings (any order), as `grantscope findings --format json` gives them. */
  findings: readonly Finding[];
  governance?: Governance;
  asOf: Date;
  /** How many scans (this one included) the trend and each identity's history look back on. */
  history: number;
  /** Limit the framework view to this framework id. */
  framework?: string | null;
}

/** `platform|tenant|kind|nativeId`: how findings and bundles name the same identity. */
const identityKey = (platform: string, tenant: string, kind: string, id: string) =>
  `${platform}\u0000${tenant}\u0000${kind}\u0000${id}`;

function bundleKey(b: IdentityBundle): string {
  const kind = b.identity?.kind ?? b.identityKey.split(':')[0]!;
  const platform = b.identity?.platform ?? b.grants[0]?.platform ?? b.credentials[0]?.platform ?? '';
  const tenant = (b.identity ?? b.grants[0] ?? b.credentials[0])?.tenant.id ?? '';
  const id = b.identity?.nativeId ?? b.identityKey.slice(kind.length + 1);
  return identityKey(platform, tenant, kind, id);
}

function maxTier(b: IdentityBundle): RiskTier {
  let best: RiskTier = 'unknown';
  for (const g of b.grants) if (RISK_ORDER[g.risk.tier] > RISK_ORDER[best]) best = g.risk.tier;
  return best;
}

/** Only an https link may become the "revoke here" link: a `javascript:` URL from an API must not. */
function httpsOnly(url: string | null | undefined): string | null {
  if (!url) return null;
  try {
    return new URL(url).protocol === 'https:' ? url : null;
  } catch {
    return null;
  }
}

/** Coverage as the scan (or each source's selected scan) stored it (the same rows `scan` prints). */
export function storedCoverage(scan: ScanSummary | ScanSelection): CoverageReport[] {
  return asSelection(scan).sources.map(({ source: s }) => ({
    connector: s.connector,
    platform: s.platform,
    tenant: s.tenant,
    status: s.status,
    requests: s.requests,
    collectors: s.collectors,
  }));
}

/** The scans (oldest first) among `committed` (newest first) that are one of a selected source's last `n`. */
function eachSourcesLastScans(
  committed: readonly ScanSummary[],
  selection: ScanSelection,
  n: number,
): ScanSummary[] {
  const seen = new Map(selection.sources.map((s) => [s.source.source, 0]));
  const out: ScanSummary[] = [];
  for (const scan of committed) {
    let wanted = false;
    for (const { source } of scan.sources) {
      const count = seen.get(source);
      if (count === undefined || count >= n) continue;
      seen.set(source, count + 1);
      wanted = true;
    }
    if (wanted) out.push(scan);
  }
  return out.reverse();
}

/** Each identity's presence, grants and tier over the scans looked back on, oldest first. */
async function identityHistory(
  store: SnapshotStore,
  scans: readonly ScanSummary[],
): Promise<{
  scans: readonly ScanSummary[];
  at: Map<string, Map<number, Omit<ReportHistoryPoint, 'startedAt'>>>;
}> {
  const at = new Map<string, Map<number, Omit<ReportHistoryPoint, 'startedAt'>>>();
  for (const scan of scans) {
    for await (const b of store.readSnapshot(scan.id)) {
      const key = bundleKey(b);
      const points = at.get(key) ?? new Map();
      points.set(scan.id, {
        scanId: scan.id,
        present: b.identity !== null,
        grants: b.grants.length,
        credentials: b.credentials.length,
        riskTier: maxTier(b),
      });
      at.set(key, points);
    }
  }
  return { scans, at };
}

async function reviewsOf(
  store: SnapshotStore,
  b: IdentityBundle,
  reviews: ReviewsInForce,
): Promise<ReportReview[]> {
  if (!b.identity) return [];
  const { platform, tenant, kind, nativeId } = b.identity;
  const stored: ReportReview[] = (
    await store.reviewHistory({ platform, tenant: tenant.id, kind, nativeId })
  ).map((r) => ({
    decision: r.decision,
    reviewer: r.reviewer,
    date: r.reviewedAt,
    note: r.note,
    until: r.until,
    source: 'store',
  }));
  const inForce = reviews.of(b);
  // A governance-file review is not in the store's history: add the one in force.
  if (inForce?.source === 'file')
    stored.push({
      decision: inForce.decision,
      reviewer: inForce.reviewer,
      date: inForce.date,
      note: inForce.note,
      until: inForce.until,
      source: 'file',
    });
  return stored.sort((a, b) => (a.date < b.date ? 1 : a.date > b.date ? -1 : 0));
}

function ownersOf(b: IdentityBundle, gov: ReturnType<typeof governanceOf> | null): ReportOwner[] {
  return [
    ...(gov?.registeredOwners ?? []).map(
      (o): ReportOwner => ({ name: o.person, source: 'registered', active: o.active, team: o.team }),
    ),
    ...(b.identity?.owners ?? []).map(
      (o): ReportOwner => ({ name: o.name ?? o.id, source: 'platform', active: o.active, team: null }),
    ),
  ];
}

function reportIdentity(
  b: IdentityBundle,
  governance: { file: Governance; people: PersonDirectory } | null,
  reviews: ReportReview[],
): Omit<ReportIdentity, 'findings' | 'worstSeverity' | 'history'> {
  const i = b.identity;
  const kind = i?.kind ?? b.identityKey.split(':')[0]!;
  const gov = governance ? governanceOf(b, governance) : null;
  const owners = ownersOf(b, gov);
  return {
    platform: i?.platform ?? b.grants[0]?.platform ?? '',
    tenant: (i ?? b.grants[0] ?? b.credentials[0])?.tenant.id ?? '',
    kind,
    nativeId: i?.nativeId ?? b.identityKey.slice(kind.length + 1),
    name: i?.displayName ?? i?.nativeId ?? b.identityKey,
    origin: i?.origin ?? 'unknown',
    publisher: i?.publisher.name ?? null,
    publisherVerified: i?.publisher.verified ?? null,
    enabled: i?.enabled ?? null,
    createdAt: i?.createdAt ?? null,
    lastUsed: i?.lastUsed ? (i.lastUsed.at ?? 'never') : null,
    riskTier: maxTier(b),
    manageUrl: httpsOnly(i?.manageUrl),
    owners,
    owned: owners.some((o) => o.active !== false) && owners.length > 0,
    approval: gov?.approval
      ? { approver: gov.approval.approver, reference: gov.approval.reference, date: gov.approval.date }
      : null,
    exceptions: (gov?.exceptions ?? []).map((e) => ({
      rule: e.rule,
      approver: e.approver,
      reason: e.reason,
      expires: e.expires,
    })),
    retired: gov?.retired ? { date: gov.retired.date, reference: gov.retired.reference } : null,
    reviews,
    grants: b.grants.map((g) => ({
      permission: g.permission.name,
      access: g.permission.access,
      target: g.target.label ?? g.target.id ?? `${g.target.breadth} ${g.target.type}`,
      via: g.grantedVia,
      grantedAt: g.grantedAt,
      risk: g.risk.tier,
      reason: g.risk.reason,
    })),
    credentials: b.credentials.map((c) => ({
      type: c.credentialType,
      name: c.displayName ?? c.nativeId,
      createdAt: c.createdAt,
      expiresAt: c.expiresAt,
      lastUsed: c.lastUsed ? (c.lastUsed.at ?? 'never') : null,
    })),
  };
}

/**
 * Everything the report shows, read through the store interface: the snapshot with its governance,
 * the findings, the trend and each identity's history over the last `history` scans, and the
 * framework view.
 */
export async function buildReportData(input: ReportInput): Promise<ReportData> {
  const { store } = input;
  const selection = asSelection(input.scan);
  const scan = selection.newest;
  const governance = input.governance && input.governance !== EMPTY_GOVERNANCE ? input.governance : null;
  const reviewsInForce = await ReviewsInForce.load(store, governance);
  const people = governance
    ? await readPeopleDirectory(store, selection, registeredAccounts(governance))
    : null;
  const gov = governance && people ? { file: governance, people } : null;

  const committed = (await store.listScans({ status: ['complete', 'incomplete'] })).filter(
    (s) => s.id <= scan.id,
  );
  const lookBack = Math.max(1, input.history);
  // The trend: the last `history` scans. Each identity's history: its tenant's last `history` scans,
  // which in a round (one scan per tenant) reach further back than the last `history` scans overall.
  const past = committed.slice(0, lookBack).reverse();
  const historyScans =
    selection.scans.length > 1 ? eachSourcesLastScans(committed, selection, lookBack) : past;
  const history = await identityHistory(store, historyScans);

  const identities: ReportIdentity[] = [];
  const byKey = new Map<string, number>();
  for await (const b of readSelectedSnapshot(store, selection)) {
    const key = bundleKey(b);
    const points = history.at.get(key);
    byKey.set(key, identities.length);
    identities.push({
      ...reportIdentity(b, gov, await reviewsOf(store, b, reviewsInForce)),
      findings: [],
      worstSeverity: null,
      // Only the scans that looked at its tenant: another tenant's scan (a round's) says nothing of it.
      history: historyScans
        .filter((s) => s.sources.some((x) => x.source === b.source))
        .map((s) => ({
          startedAt: s.startedAt,
          ...(points?.get(s.id) ?? {
            scanId: s.id,
            present: false,
            grants: 0,
            credentials: 0,
            riskTier: 'unknown',
          }),
        })),
    });
  }

  const findings = [...input.findings].sort(compareFindings);
  const findingIdentity = findings.map(
    (f) => byKey.get(identityKey(f.platform, f.tenant, f.identity.kind, f.identity.id)) ?? null,
  );
  const bySeverity = emptyCounts();
  const byPlatform: Record<string, Record<Severity, number>> = {};
  const byRule: Record<string, number> = {};
  let excepted = 0;
  findings.forEach((f, n) => {
    const owner = findingIdentity[n];
    if (owner != null) {
      const identity = identities[owner]!;
      identity.findings.push(n);
      if (
        !f.excepted &&
        (identity.worstSeverity === null ||
          SEVERITY_ORDER[f.severity] > SEVERITY_ORDER[identity.worstSeverity])
      )
        identity.worstSeverity = f.severity;
    }
    if (f.excepted) {
      excepted += 1;
      return;
    }
    bySeverity[f.severity] += 1;
    byPlatform[f.platform] ??= emptyCounts();
    byPlatform[f.platform]![f.severity] += 1;
    byRule[f.rule] = (byRule[f.rule] ?? 0) + 1;
  });

  const trend = await store.findingsTrend(past.map((s) => s.id));
  const coverage = storedCoverage(selection);
  return {
    schema: 1,
    tool: { name: 'grantscope', version: TOOL_VERSION },
    scan: {
      id: scan.id,
      startedAt: scan.startedAt,
      finishedAt: scan.finishedAt,
      status: selection.scans.length > 1 ? selection.status : scan.status,
      label: scan.label,
      governanceHash: scan.governanceHash ?? null,
    },
    ...(selection.scans.length > 1 && { scans: selectionCoverage(selection) }),
    asOf: input.asOf.toISOString(),
    framework: input.framework ?? null,
    summary: {
      identities: identities.length,
      grants: identities.reduce((n, i) => n + i.grants.length, 0),
      credentials: identities.reduce((n, i) => n + i.credentials.length, 0),
      findings: findings.length - excepted,
      excepted,
      bySeverity,
      byPlatform: sortedRecord(byPlatform),
      byRule: sortedRecord(byRule),
    },
    coverage: coverageRows(coverage).map((r) => ({
      source: r.source,
      collector: r.c.collector,
      status: r.c.status,
      items: r.c.items,
      requests: r.c.requests,
      detail: [r.c.api, r.c.httpStatus != null ? `HTTP ${r.c.httpStatus}` : null, r.c.reason, ...r.c.notes]
        .filter(Boolean)
        .join(' — '),
    })),
    incomplete: incompleteCollectors(coverage),
    trend: trend.map((t, n) => ({ ...t, startedAt: past[n]!.startedAt, status: past[n]!.status })),
    identities,
    findings: findings.map((f, n) => ({
      fingerprint: f.fingerprint,
      rule: f.rule,
      severity: f.severity,
      platform: f.platform,
      tenant: f.tenant,
      identity: findingIdentity[n] ?? null,
      identityName: f.identity.name ?? f.identity.id,
      subject: f.subject,
      title: f.title,
      remediation: f.remediation,
      excepted: f.excepted === true,
      firstSeen: f.firstSeen,
      controls: controlKeys(f),
    })),
    frameworks: frameworkView(identities, findings, findingIdentity, scan.id, input.framework ?? null),
  };
}

/** Keys in a fixed order, so the same data gives the same JSON. */
function sortedRecord<T>(r: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(r).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
