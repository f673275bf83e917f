import type { Finding, Severity } from '../../findings/finding.js';
import { compareFindings } from '../../rules/evaluate.js';
import { RULES } from '../../rules/registry.js';
import type { AnyRule } from '../../rules/rule.js';
import { sortExternally } from '../external-sort.js';
import { escapeFormatCharactersInJson } from '../safe-text.js';
import { INFORMATION_URI } from './sarif.js';

/**
 * OCSF Detection Finding (class 2004, category Findings), schema version 1.8.0: ocsf/ocsf-schema
 * events/findings/detection_finding.json, which extends finding.json and base_event.json. Enum values
 * below are those files' `enum` members. Validated in tests against a JSON Schema generated from that
 * release (test/schemas/ocsf, with provenance).
 */
export const OCSF_VERSION = '1.8.0';
const CATEGORY_UID = 2;
const CLASS_UID = 2004;

/** finding.json `activity_id`. */
const ACTIVITY = { create: [1, 'Create'], update: [2, 'Update'], close: [3, 'Close'] } as const;
/** finding.json `status_id`. */
const STATUS = { new: [1, 'New'], suppressed: [3, 'Suppressed'], resolved: [4, 'Resolved'] } as const;
/** base_event.json `severity_id`. */
export const OCSF_SEVERITY: Record<Severity, readonly [number, string]> = {
  info: [1, 'Informational'],
  low: [2, 'Low'],
  medium: [3, 'Medium'],
  high: [4, 'High'],
  critical: [5, 'Critical'],
};

export interface OcsfOptions {
  toolVersion: string;
  rules?: readonly AnyRule[];
}

export interface OcsfEventOptions extends OcsfOptions {
  /**
   * What the event reports: a finding as seen in a scan (new on first sight, else an update;
   * suppressed when an exception accepts it), or its resolution at `resolvedAt`.
   */
  resolvedAt?: string;
}

const ms = (iso: string) => Date.parse(iso);

/** One finding as an OCSF Detection Finding event. */
export function ocsfDetectionFinding(f: Finding, options: OcsfEventOptions): Record<string, unknown> {
  const resolved = options.resolvedAt !== undefined;
  const [activityId, activityName] = resolved
    ? ACTIVITY.close
    : f.firstSeen === f.lastSeen
      ? ACTIVITY.create
      : ACTIVITY.update;
  const [statusId, statusName] = resolved ? STATUS.resolved : f.excepted ? STATUS.suppressed : STATUS.new;
  const [severityId, severityName] = OCSF_SEVERITY[f.severity];
  const time = resolved ? options.resolvedAt! : f.lastSeen;
  const rule = (options.rules ?? RULES).find((r) => r.id === f.rule);
  const manageUrl = typeof f.evidence.manageUrl === 'string' ? f.evidence.manageUrl : null;
  return {
    activity_id: activityId,
    activity_name: activityName,
    category_uid: CATEGORY_UID,
    category_name: 'Findings',
    class_uid: CLASS_UID,
    class_name: 'Detection Finding',
    type_uid: CLASS_UID * 100 + activityId,
    type_name: `Detection Finding: ${activityName}`,
    severity_id: severityId,
    severity: severityName,
    status_id: statusId,
    status: statusName,
    ...(f.excepted && f.exception && !resolved
      ? {
          status_detail: `Exception approved by ${f.exception.approver} until ${f.exception.expires}: ${f.exception.reason}`,
        }
      : {}),
    time: ms(time),
    time_dt: time,
    message: f.title,
    is_alert: !resolved && !f.excepted,
    finding_info: {
      uid: f.fingerprint,
      title: f.title,
      desc: f.title,
      types: [f.rule],
      first_seen_time: ms(f.firstSeen),
      first_seen_time_dt: f.firstSeen,
      last_seen_time: ms(f.lastSeen),
      last_seen_time_dt: f.lastSeen,
      analytic: {
        uid: f.rule,
        name: f.rule,
        type_id: 1,
        type: 'Rule',
        ...(rule ? { desc: rule.description } : {}),
      },
    },
    metadata: {
      product: {
        name: 'grantscope',
        vendor_name: 'grantscope',
        version: options.toolVersion,
        url_string: INFORMATION_URI,
      },
      version: OCSF_VERSION,
      profiles: ['datetime'],
      log_name: 'findings',
      tenant_uid: f.tenant,
    },
    resources: [
      {
        uid: f.identity.id,
        ...(f.identity.name !== null ? { name: f.identity.name } : {}),
        type: f.identity.kind,
        data: { platform: f.platform, tenant: f.tenant, subject: f.subject },
      },
    ],
    remediation: {
      desc: f.remediation,
      ...(manageUrl ? { references: [manageUrl] } : {}),
    },
    unmapped: {
      evidence: f.evidence,
      frameworks: f.frameworks,
      ...(f.owner ? { owner: f.owner } : {}),
      ...(f.approval ? { approval: f.approval } : {}),
      ...(f.exception ? { exception: f.exception } : {}),
    },
  };
}

/**
 * `--format ocsf`: one Detection Finding per line (JSON Lines), the form SIEMs and data lakes ingest
 * as a stream; each line is a complete event.
 */
export async function* ocsfChunks(
  findings: AsyncIterable<Finding>,
  options: OcsfOptions,
): AsyncGenerator<string> {
  for await (const f of sortExternally(findings, compareFindings))
    yield `${escapeFormatCharactersInJson(JSON.stringify(ocsfDetectionFinding(f, options)))}\n`;
}
