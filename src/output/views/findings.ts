import { type Finding, SEVERITY_ORDER, type Severity } from '../../findings/finding.js';
import { type Column, type OutputFormat, paint, renderJson, renderRows } from '../format.js';

const SEVERITY_COLOR: Record<Severity, string> = {
  critical: 'magenta',
  high: 'red',
  medium: 'yellow',
  low: 'cyan',
  info: 'dim',
};

const COLUMNS: Column<Finding>[] = [
  { header: 'Severity', value: (f) => f.severity },
  { header: 'Rule', value: (f) => f.rule },
  { header: 'Platform', value: (f) => f.platform },
  { header: 'Kind', value: (f) => f.identity.kind },
  { header: 'Identity', value: (f) => f.identity.name ?? f.identity.id, maxWidth: 34 },
  { header: 'Title', value: (f) => f.title, maxWidth: 70 },
  { header: 'First seen', value: (f) => f.firstSeen.slice(0, 10) },
];

const CSV_COLUMNS: Column<Finding>[] = [
  { header: 'fingerprint', value: (f) => f.fingerprint },
  { header: 'severity', value: (f) => f.severity },
  { header: 'rule', value: (f) => f.rule },
  { header: 'platform', value: (f) => f.platform },
  { header: 'tenant', value: (f) => f.tenant },
  { header: 'identity_kind', value: (f) => f.identity.kind },
  { header: 'identity_id', value: (f) => f.identity.id },
  { header: 'identity_name', value: (f) => f.identity.name },
  { header: 'subject', value: (f) => f.subject },
  { header: 'title', value: (f) => f.title },
  { header: 'remediation', value: (f) => f.remediation },
  { header: 'owasp_nhi', value: (f) => f.frameworks.owaspNhi.join(' ') },
  { header: 'nist_csf', value: (f) => f.frameworks.nistCsf.join(' ') },
  { header: 'first_seen', value: (f) => f.firstSeen },
  { header: 'last_seen', value: (f) => f.lastSeen },
  { header: 'evidence', value: (f) => JSON.stringify(f.evidence) },
];

export function severityCounts(findings: readonly Finding[]): Record<Severity, number> {
  const out: Record<Severity, number> = { critical: 0, high: 0, medium: 0, low: 0, info: 0 };
  for (const f of findings) out[f.severity] += 1;
  return out;
}

export function summariseSeverities(findings: readonly Finding[], color = false): string {
  const counts = severityCounts(findings);
  return (Object.keys(counts) as Severity[])
    .sort((a, b) => SEVERITY_ORDER[b] - SEVERITY_ORDER[a])
    .filter((s) => counts[s] > 0)
    .map((s) => paint(color, SEVERITY_COLOR[s], `${counts[s]} ${s}`))
    .join(', ');
}

/** For people: most severe first, then grouped by platform and identity. */
function forPeople(findings: readonly Finding[]): Finding[] {
  const name = (f: Finding) => (f.identity.name ?? f.identity.id).toLowerCase();
  return [...findings].sort(
    (a, b) =>
      SEVERITY_ORDER[b.severity] - SEVERITY_ORDER[a.severity] ||
      a.platform.localeCompare(b.platform) ||
      name(a).localeCompare(name(b)) ||
      a.rule.localeCompare(b.rule) ||
      a.fingerprint.localeCompare(b.fingerprint),
  );
}

/** `grantscope findings` output. json = the published array contract (schemas in src/findings). */
export function renderFindings(all: readonly Finding[], format: OutputFormat, color = false): string {
  if (format === 'json') return renderJson(all);
  const findings = forPeople(all);
  if (format === 'csv') return renderRows('csv', findings, CSV_COLUMNS);
  if (format === 'md') return renderRows('md', findings, COLUMNS);
  if (findings.length === 0) return 'No findings.\n';
  const table = renderRows('table', findings, COLUMNS, {
    color: (row, text, i) => (i === 0 ? paint(color, SEVERITY_COLOR[(row as Finding).severity], text) : text),
  });
  return `${table}\n${findings.length} finding${findings.length === 1 ? '' : 's'}: ${summariseSeverities(findings, color)}\n`;
}
