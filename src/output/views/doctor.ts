import type { DoctorCheck, DoctorReport } from '../../doctor/doctor-check.js';
import { scrubText } from '../../log/redact.js';
import { type Column, type OutputFormat, paint, renderJson, renderRows } from '../format.js';

const STATE_LABEL = { granted: 'granted', missing: 'MISSING', unknown: 'unknown' } as const;

const COLUMNS: Column<DoctorCheck>[] = [
  { header: 'Tenant', value: (c) => c.subject },
  { header: 'Collector', value: (c) => c.collector },
  { header: 'Needed', value: (c) => c.needed },
  { header: 'Status', value: (c) => STATE_LABEL[c.state] },
  { header: 'To add', value: (c) => (c.state === 'granted' ? '' : (c.fix ?? c.evidence)) },
  { header: 'Link', value: (c) => (c.state === 'granted' ? '' : c.link) },
];

const WITH_EVIDENCE: Column<DoctorCheck>[] = [...COLUMNS, { header: 'Evidence', value: (c) => c.evidence }];

/** Errors quoted from APIs may echo what was sent: scrubbed like every other message. */
function scrubbed(c: DoctorCheck): DoctorCheck {
  return { ...c, evidence: c.evidence === null ? null : scrubText(c.evidence) };
}

/** `grantscope doctor`: one table of every check, then a one-line verdict. */
export function renderDoctor(
  report: DoctorReport,
  format: OutputFormat,
  options: { color: boolean },
): string {
  const checks = report.checks.map(scrubbed);
  if (format === 'json') return renderJson({ ...report, checks });
  if (format === 'csv' || format === 'md') return renderRows(format, checks, WITH_EVIDENCE);
  const missing = checks.filter((c) => c.state === 'missing').length;
  const unknown = checks.filter((c) => c.state === 'unknown').length;
  const verdict =
    missing === 0
      ? paint(
          options.color,
          'green',
          `All ${checks.length} checks passed${unknown ? ` (${unknown} could not be told)` : ''}.`,
        )
      : paint(
          options.color,
          'red',
          `${missing} of ${checks.length} checks missing${unknown ? `, ${unknown} could not be told` : ''}.`,
        );
  return `${renderRows('table', checks, COLUMNS)}\n${verdict}\n`;
}
