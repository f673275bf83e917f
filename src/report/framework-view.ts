import type { Finding } from '../findings/finding.js';
import { type RiskCatalog, riskCatalog } from '../risk/catalog.js';
import type { ReportControl, ReportEvidence, ReportFramework, ReportIdentity } from './report-data.js';

/** A framework the report has a view for: where its controls are in the catalog and in a finding. */
interface AuditFramework {
  id: string;
  name: string;
  /** The catalog's controls of this framework, with the finding types each maps to. */
  controls(catalog: RiskCatalog): Array<{ id: string; title: string; findingTypes: string[] }>;
  /** Whether finding `f` is tagged with control `id` (the tags the rules give it). */
  tags(f: Pick<Finding, 'frameworks'>, id: string): boolean;
}

/** The catalog's `frameworks` entries of one framework name, tagged in a finding's `other` as `<name> <id>`. */
function catalogFramework(id: string, catalogName: string, name: string): AuditFramework {
  return {
    id,
    name,
    controls: (catalog) =>
      catalog.frameworks
        .filter((f) => f.framework === catalogName)
        .map((f) => ({ id: f.id, title: f.title, findingTypes: f.findings })),
    tags: (f, control) =>
      catalogName === 'NIST CSF 2.0'
        ? f.frameworks.nistCsf.includes(control)
        : f.frameworks.other.includes(`${catalogName} ${control}`),
  };
}

/** The frameworks `--framework` accepts, in the order the report shows them. */
export const AUDIT_FRAMEWORKS: readonly AuditFramework[] = [
  {
    id: 'owasp-nhi',
    name: 'OWASP Non-Human Identities Top 10 (2025)',
    controls: (catalog) =>
      catalog.owaspNhi.map((o) => ({ id: o.id, title: o.title, findingTypes: o.scannerFindings })),
    tags: (f, control) => f.frameworks.owaspNhi.includes(control),
  },
  catalogFramework('nist-csf', 'NIST CSF 2.0', 'NIST Cybersecurity Framework 2.0'),
  catalogFramework('cis-v8', 'CIS Controls v8', 'CIS Critical Security Controls v8'),
  catalogFramework('soc2', 'SOC 2 (TSC 2017)', 'SOC 2 Trust Services Criteria (2017)'),
];

export const AUDIT_FRAMEWORK_IDS: readonly string[] = AUDIT_FRAMEWORKS.map((f) => f.id);

const indexes = (identities: readonly ReportIdentity[], keep: (i: ReportIdentity) => boolean) =>
  identities.flatMap((i, n) => (keep(i) ? [n] : []));

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/**
 * What in the snapshot and the governance records satisfies a control of these finding types: the
 * inventory itself, owners, approvals, reviews and credential expiry, each as a sentence with the
 * identities it is about. The identities without a failing finding of the control come last.
 */
function evidenceFor(
  findingTypes: readonly string[],
  identities: readonly ReportIdentity[],
  failingIdentities: ReadonlySet<number>,
  scanId: number,
): ReportEvidence[] {
  const out: ReportEvidence[] = [];
  const types = new Set(findingTypes);
  if (types.has('discovery')) {
    const platforms = new Set(identities.map((i) => i.platform));
    out.push({
      text: `Inventory of ${plural(identities.length, 'non-human identity', 'non-human identities')} on ${plural(platforms.size, 'platform')} in snapshot #${scanId}, with their grants and credentials.`,
      identities: [],
    });
  }
  if (types.has('ownerless')) {
    const owned = indexes(identities, (i) => i.owned);
    out.push({
      text: `${owned.length} of ${identities.length} identities have an active owner (registered in the governance file or recorded by the platform).`,
      identities: owned,
    });
  }
  if (types.has('new-unapproved-grant')) {
    const approved = indexes(identities, (i) => i.approval !== null);
    out.push({
      text: `${approved.length} of ${identities.length} identities have a recorded approval.`,
      identities: approved,
    });
  }
  if (types.has('stale') || types.has('recertification')) {
    const reviewed = indexes(identities, (i) => i.reviews.length > 0);
    out.push({
      text: `${reviewed.length} of ${identities.length} identities have a recertification review on record.`,
      identities: reviewed,
    });
  }
  if (types.has('long-lived-credential')) {
    const creds = identities.flatMap((i) => i.credentials);
    const expiring = creds.filter((c) => c.expiresAt !== null).length;
    out.push({
      text: `${expiring} of ${plural(creds.length, 'credential')} have an expiry date.`,
      identities: indexes(identities, (i) => i.credentials.length > 0),
    });
  }
  const passing = identities.flatMap((_, n) => (failingIdentities.has(n) ? [] : [n]));
  out.push({
    text: `${passing.length} of ${identities.length} identities have no finding that fails this control.`,
    identities: passing,
  });
  return out;
}

/**
 * One section per control of each framework (or only `only`): the evidence that satisfies it and the
 * findings that fail it (by the framework tags each finding carries).
 */
export function frameworkView(
  identities: readonly ReportIdentity[],
  findings: readonly Pick<Finding, 'frameworks'>[],
  findingIdentity: readonly (number | null)[],
  scanId: number,
  only: string | null = null,
  catalog: RiskCatalog = riskCatalog(),
): ReportFramework[] {
  return AUDIT_FRAMEWORKS.filter((fw) => only === null || fw.id === only).map((fw) => ({
    id: fw.id,
    name: fw.name,
    controls: fw.controls(catalog).map((c): ReportControl => {
      const failing = findings.flatMap((f, n) => (fw.tags(f, c.id) ? [n] : []));
      const failingIdentities = new Set(
        failing.map((n) => findingIdentity[n]).filter((i): i is number => i !== null && i !== undefined),
      );
      return {
        key: `${fw.id}:${c.id}`,
        id: c.id,
        title: c.title,
        findingTypes: c.findingTypes,
        evidence: evidenceFor(c.findingTypes, identities, failingIdentities, scanId),
        failing,
      };
    }),
  }));
}

/** The control keys of every audit framework that finding `f` is tagged with. */
export function controlKeys(f: Pick<Finding, 'frameworks'>, catalog: RiskCatalog = riskCatalog()): string[] {
  return AUDIT_FRAMEWORKS.flatMap((fw) =>
    fw
      .controls(catalog)
      .filter((c) => fw.tags(f, c.id))
      .map((c) => `${fw.id}:${c.id}`),
  );
}
