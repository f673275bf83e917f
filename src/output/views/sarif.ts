import type { Finding, Severity } from '../../findings/finding.js';
import { SEVERITY_ORDER } from '../../findings/finding.js';
import { frameworkRefs } from '../../findings/frameworks.js';
import { riskCatalog } from '../../risk/catalog.js';
import { compareFindings } from '../../rules/evaluate.js';
import { RULES } from '../../rules/registry.js';
import type { AnyRule } from '../../rules/rule.js';
import { sortExternally } from '../external-sort.js';
import { escapeFormatCharactersInJson } from '../safe-text.js';

/**
 * SARIF 2.1.0 for GitHub code scanning (`github/codeql-action/upload-sarif`). What GitHub reads and
 * requires is documented in "SARIF support for code scanning" (github/docs
 * content/code-security/reference/code-scanning/sarif-files/sarif-support.md); the document is valid
 * against OASIS sarif-schema-2.1.0.json (vendored in test/schemas with provenance).
 */
export const SARIF_SCHEMA_URI = 'https://json.schemastore.org/sarif-2.1.0.json';
export const INFORMATION_URI = 'https://github.com/grantscope/grantscope';

/**
 * The partialFingerprints key of our fingerprint. GitHub only uses `primaryLocationLineHash` (same
 * page, `result` object), so the fingerprint is given under that key too: otherwise upload-sarif
 * computes one from the anchor line, which every result of a platform shares.
 */
export const FINGERPRINT_KEY = 'grantscopeFingerprint/v1';

/** A line in a file of the repository that a result is shown on. */
export interface SarifAnchor {
  /** Repository-relative path, `/`-separated. */
  uri: string;
  startLine: number;
  /** The column after the last character of the line (GitHub requires an end column). */
  endColumn: number;
}

export interface SarifOptions {
  /**
   * Where a result is shown. GitHub displays a result only with a `physicalLocation` whose
   * `artifactLocation.uri` is a file of the repository, and needs `region` start/end line and column
   * (sarif-support.md, `location` and `physicalLocation` objects); findings are about identities, not
   * code, so the anchor is the line of the configuration that made grantscope look at them.
   */
  anchor(f: Finding): SarifAnchor;
  toolVersion: string;
  /** Rules whose texts describe `ruleId`s (default: the built-in rules). */
  rules?: readonly AnyRule[];
  /** Facts about the run: scan id, status, as-of time. */
  runProperties?: Record<string, unknown>;
}

/**
 * GitHub ranks security alerts by `security-severity`: over 9.0 critical, 7.0–8.9 high, 4.0–6.9
 * medium, 0.1–3.9 low; 0.0 is no security severity (sarif-support.md, `reportingDescriptor`).
 */
export const SECURITY_SEVERITY: Record<Severity, string | null> = {
  critical: '9.5',
  high: '8.0',
  medium: '5.5',
  low: '2.0',
  info: null,
};

/** SARIF `level` (§3.27.10): error / warning / note. */
export const SARIF_LEVEL: Record<Severity, 'error' | 'warning' | 'note'> = {
  critical: 'error',
  high: 'error',
  medium: 'warning',
  low: 'note',
  info: 'note',
};

/**
 * Message text is plain text, but SARIF viewers turn `[text](id)` into links to related locations
 * (SARIF 2.1.0 §3.11.6): brackets and backslashes from third-party names are escaped so they stay text.
 */
export function sarifMessageText(text: string): string {
  return text.replace(/[\\[\]]/g, (c) => `\\${c}`);
}

interface RuleSeen {
  id: string;
  index: number;
  worst: Severity;
}

function element(value: unknown, depth: number): string {
  const pad = '  '.repeat(depth);
  return escapeFormatCharactersInJson(`${pad}${JSON.stringify(value, null, 2).replace(/\n/g, `\n${pad}`)}`);
}

/** `grantscope findings --format sarif`: one run, results streamed one at a time. */
export async function* sarifChunks(
  findings: AsyncIterable<Finding>,
  options: SarifOptions,
): AsyncGenerator<string> {
  const seen = new Map<string, RuleSeen>();
  yield `{\n  "$schema": ${JSON.stringify(SARIF_SCHEMA_URI)},\n  "version": "2.1.0",\n  "runs": [\n    {\n      "results": [`;
  let first = true;
  for await (const f of sortExternally(findings, compareFindings)) {
    let rule = seen.get(f.rule);
    // Rules are listed in order of first use, after the results (a JSON object's members are
    // unordered), so each result's ruleIndex is known as it is written and no result is held back.
    if (!rule) {
      rule = { id: f.rule, index: seen.size, worst: f.severity };
      seen.set(f.rule, rule);
    } else if (SEVERITY_ORDER[f.severity] > SEVERITY_ORDER[rule.worst]) rule.worst = f.severity;
    yield `${first ? '\n' : ',\n'}${element(sarifResult(f, rule.index, options.anchor(f)), 4)}`;
    first = false;
  }
  yield first ? '],\n' : '\n      ],\n';
  const rules = options.rules ?? RULES;
  const tool = {
    driver: {
      name: 'grantscope',
      version: options.toolVersion,
      semanticVersion: options.toolVersion,
      informationUri: INFORMATION_URI,
      rules: [...seen.values()].map((r) => reportingDescriptor(r, rules)),
    },
  };
  // Columns are counted in UTF-16 code units, as JavaScript measures the anchor line (SARIF §3.14.23).
  yield `      "columnKind": "utf16CodeUnits",\n      "tool": ${element(tool, 3).trimStart()}`;
  if (options.runProperties) yield `,\n      "properties": ${element(options.runProperties, 3).trimStart()}`;
  yield '\n    }\n  ]\n}\n';
}

export function sarifResult(f: Finding, ruleIndex: number, anchor: SarifAnchor): Record<string, unknown> {
  const manageUrl = typeof f.evidence.manageUrl === 'string' ? f.evidence.manageUrl : null;
  const result: Record<string, unknown> = {
    ruleId: f.rule,
    ruleIndex,
    level: SARIF_LEVEL[f.severity],
    message: { text: sarifMessageText(`${f.title}\n\n${f.remediation}`) },
    locations: [
      {
        physicalLocation: {
          // Relative to the repository root, named the way CodeQL's SARIF names it (SARIF §3.4.4).
          artifactLocation: { uri: anchor.uri, uriBaseId: '%SRCROOT%' },
          region: {
            startLine: anchor.startLine,
            startColumn: 1,
            endLine: anchor.startLine,
            endColumn: anchor.endColumn,
          },
        },
        logicalLocations: [
          {
            name: f.identity.name ?? f.identity.id,
            fullyQualifiedName: [f.platform, f.tenant, f.identity.kind, f.identity.id].join('/'),
            kind: 'resource',
            ...(manageUrl ? { properties: { manageUrl } } : {}),
          },
        ],
      },
    ],
    partialFingerprints: { [FINGERPRINT_KEY]: f.fingerprint, primaryLocationLineHash: f.fingerprint },
  };
  if (f.excepted && f.exception) {
    // Accepted by an exception: kept, marked as suppressed outside the tool (SARIF §3.35).
    result.suppressions = [
      {
        kind: 'external',
        status: 'accepted',
        justification: `Exception approved by ${f.exception.approver} until ${f.exception.expires}: ${f.exception.reason} (${f.exception.source.file}:${f.exception.source.line})`,
      },
    ];
  }
  // Evidence stays in the JSON output: GitHub rejects uploads over 10 MB gzipped (sarif-support.md,
  // "File compatibility") and shows none of a result's properties.
  result.properties = {
    severity: f.severity,
    platform: f.platform,
    tenant: f.tenant,
    identity: f.identity,
    subject: f.subject,
    firstSeen: f.firstSeen,
    lastSeen: f.lastSeen,
    ...(f.owner ? { owner: f.owner } : {}),
    ...(f.approval ? { approval: f.approval } : {}),
    ...(f.exception ? { exception: f.exception } : {}),
    tags: frameworkTags(f.frameworks),
  };
  return result;
}

/** GitHub rejects a file with more than 20 tags on a rule (data/reusables/code-scanning/sarif-limits.md). */
export const MAX_TAGS = 20;

/**
 * GitHub rejects a file with more than 25,000 results in a run, and shows the 5,000 most severe
 * (sarif-limits.md): larger outputs need narrowing (`--severity`, `--platform`) before upload.
 */
export const MAX_RESULTS_PER_RUN = 25_000;

/** Tags GitHub filters alerts by: `security`, then each framework control, at most `MAX_TAGS`. */
export function frameworkTags(refs: Finding['frameworks']): string[] {
  return [
    'security',
    ...refs.owaspNhi.map((id) => `OWASP-NHI/${id}`),
    ...refs.nistCsf.map((id) => `NIST-CSF/${id}`),
    ...refs.other,
  ].slice(0, MAX_TAGS);
}

function reportingDescriptor(seen: RuleSeen, rules: readonly AnyRule[]): Record<string, unknown> {
  const rule = rules.find((r) => r.id === seen.id);
  const description = rule?.description ?? `grantscope rule ${seen.id}`;
  const refs = rule ? (rule.frameworks ?? frameworkRefs(rule.findingType)) : null;
  const catalog = riskCatalog();
  const controls = refs
    ? [
        ...refs.owaspNhi.map((id) => {
          const o = catalog.owaspNhi.find((x) => x.id === id);
          return `OWASP NHI Top 10 ${id}${o ? `: ${o.title}. ${o.summary}` : ''}`;
        }),
        ...refs.nistCsf.map((id) => {
          const c = catalog.frameworks.find((x) => x.framework === 'NIST CSF 2.0' && x.id === id);
          return `NIST CSF 2.0 ${id}${c ? `: ${c.title}` : ''}`;
        }),
        ...refs.other,
      ]
    : [];
  const remedy =
    'Each alert says what to change and where (the identity is its logical location). Fix it on the ' +
    'platform, or record an owner, approval or exception in the governance file, then scan again.';
  const security = SECURITY_SEVERITY[seen.worst];
  return {
    id: seen.id,
    name: seen.id,
    shortDescription: { text: description },
    fullDescription: { text: description },
    defaultConfiguration: { level: SARIF_LEVEL[seen.worst] },
    help: {
      text: [description, remedy, ...(controls.length > 0 ? ['Controls:', ...controls] : [])].join('\n'),
      markdown: [
        description,
        '',
        remedy,
        ...(controls.length > 0 ? ['', '**Controls**', '', ...controls.map((c) => `- ${c}`)] : []),
      ].join('\n'),
    },
    properties: {
      tags: refs ? frameworkTags(refs) : ['security'],
      precision: 'high',
      ...(security ? { 'security-severity': security } : { 'problem.severity': 'recommendation' }),
    },
  };
}
