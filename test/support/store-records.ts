import type { CollectorCoverage, CollectorStatus, CoverageReport } from '../../src/connector/coverage.js';
import type { Finding, FindingDraft } from '../../src/findings/finding.js';
import {
  Credential,
  type CredentialInput,
  Grant,
  type GrantInput,
  Identity,
  type IdentityInput,
} from '../../src/model/index.js';
import { canonicalJson } from '../../src/model/record.js';
import type { SnapshotFilter, SnapshotStore } from '../../src/store/store.js';

/** Small valid records for store tests; override any field. Tenant `acme` on GitHub unless told. */
export function identity(nativeId: string, over: Partial<IdentityInput> = {}): Identity {
  return Identity.parse({
    type: 'identity',
    platform: 'github',
    tenant: { id: 'acme', name: 'Acme' },
    kind: 'github-app-installation',
    nativeId,
    displayName: `App ${nativeId}`,
    origin: 'third-party',
    publisher: { name: 'Vendor', id: 'vendor', verified: true },
    createdAt: '2025-01-01T00:00:00Z',
    owners: [{ id: 'alice', name: 'Alice', type: 'user', active: true }],
    collector: 'app-installations',
    raw: { id: Number(nativeId) || nativeId, app_slug: `app-${nativeId}` },
    ...over,
  });
}

export function grant(identityId: string, permission: string, over: Partial<GrantInput> = {}): Grant {
  return Grant.parse({
    type: 'grant',
    platform: 'github',
    tenant: { id: 'acme', name: 'Acme' },
    identity: { kind: 'github-app-installation', nativeId: identityId },
    permission: { id: permission, name: permission, access: 'read' },
    target: { breadth: 'all', type: 'repository' },
    grantedVia: 'installation',
    risk: { tier: 'low' },
    collector: 'app-installations',
    raw: { permission, level: 'read' },
    ...over,
  });
}

export function credential(
  identityId: string,
  nativeId: string,
  over: Partial<CredentialInput> = {},
): Credential {
  return Credential.parse({
    type: 'credential',
    platform: 'github',
    tenant: { id: 'acme', name: 'Acme' },
    identity: { kind: 'deploy-key', nativeId: identityId },
    credentialType: 'deploy-key',
    nativeId,
    createdAt: '2025-01-01T00:00:00Z',
    expiresAt: null,
    collector: 'deploy-keys',
    raw: { id: nativeId, title: `key ${nativeId}`, read_only: true },
    ...over,
  });
}

/** A coverage report for one source with the given collector statuses. */
export function coverage(
  collectors: Record<string, CollectorStatus>,
  source: { connector?: string; platform?: string; tenant?: string } = {},
): CoverageReport {
  const list: CollectorCoverage[] = Object.entries(collectors).map(([collector, status]) => ({
    collector,
    status,
    reason: status === 'failed' ? 'GET /x returned 500' : null,
    httpStatus: status === 'failed' ? 500 : null,
    api: status === 'failed' ? 'GET /x' : null,
    requests: 1,
    items: 0,
    startedAt: '2026-01-01T00:00:00Z',
    finishedAt: '2026-01-01T00:00:01Z',
    notes: [],
  }));
  return {
    connector: source.connector ?? source.platform ?? 'github',
    platform: source.platform ?? 'github',
    tenant: source.tenant ?? 'acme',
    status: list.some((c) => c.status === 'failed') ? 'incomplete' : 'complete',
    requests: list.length,
    collectors: list,
  };
}

/** Times for scans in tests: scan n starts at 2026-01-n. */
export function at(day: number, minute = 0): string {
  return `2026-01-${String(day).padStart(2, '0')}T00:${String(minute).padStart(2, '0')}:00Z`;
}

/** A high over-privileged finding about GitHub installation `1` of `acme`; override any field. */
export function findingDraft(fingerprint: string, over: Partial<FindingDraft> = {}): FindingDraft {
  return {
    fingerprint,
    rule: 'over-privileged',
    severity: 'high',
    platform: 'github',
    tenant: 'acme',
    identity: { kind: 'github-app-installation', id: '1', name: 'App 1' },
    subject: null,
    title: `finding ${fingerprint}`,
    evidence: { grants: ['administration:write'] },
    remediation: 'Reduce the permissions.',
    frameworks: { owaspNhi: ['NHI5'], nistCsf: [], other: [] },
    ...over,
  };
}

/** Every finding the store holds as seen at `scanId`, in its order. */
export async function findingsOf(store: SnapshotStore, scanId: number): Promise<Finding[]> {
  const out: Finding[] = [];
  for await (const f of store.readFindings(scanId)) out.push(f);
  return out;
}

/**
 * Every record of scan `scanId` (identities, grants, credentials) as canonical JSON, sorted: two
 * snapshots that hold the same records compare equal.
 */
export async function snapshotRecords(
  store: SnapshotStore,
  scanId: number,
  filter?: SnapshotFilter,
): Promise<string[]> {
  const out: string[] = [];
  for await (const b of store.readSnapshot(scanId, filter)) {
    if (b.identity) out.push(canonicalJson(b.identity));
    for (const r of [...b.grants, ...b.credentials]) out.push(canonicalJson(r));
  }
  return out.sort();
}

/** A collector's coverage notes, one per line. */
export function collectorNotes(coverage: CoverageReport, collector: string): string {
  return coverage.collectors.find((c) => c.collector === collector)!.notes.join('\n');
}
