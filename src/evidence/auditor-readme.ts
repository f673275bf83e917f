import type { ReportSummary } from '../report/report-data.js';
import type { ScanSummary } from '../store/store.js';

/** What each file of the pack is, for the auditor. */
const FILE_NOTES: Array<[RegExp, string]> = [
  [
    /^report\.html$/,
    'The audit report: summary, charts, inventory, a page per identity, the framework view. Opens offline; it loads and sends nothing.',
  ],
  [
    /^findings\.json$/,
    'Every finding of the snapshot, as `grantscope findings --format json` lists it (schema: src/findings/finding.schema.json).',
  ],
  [/^findings\.sarif$/, 'The same findings as SARIF 2.1.0.'],
  [
    /^inventory\.csv$/,
    'Every non-human identity in the snapshot: platform, kind, origin, grants, highest risk tier, owners, last use.',
  ],
  [/^diff\.(json|md)$/, 'What changed between the earlier snapshot and this one.'],
  [
    /^coverage\.(csv|md)$/,
    'Which collectors read their data completely. A failed collector means its part of the inventory was carried over from the previous scan.',
  ],
  [/^governance\/SHA256SUMS$/, 'SHA-256 of each governance file.'],
  [
    /^governance\//,
    'The governance file in force: registered owners, approvals, exceptions, retired vendors, reviews.',
  ],
  [/^policy\//, 'The policy file the findings were judged with.'],
  [/^README\.md$/, 'This file.'],
];

export interface ReadmeFacts {
  scan: ScanSummary;
  since: ScanSummary | null;
  findings: ReportSummary;
  identities: number;
  governanceHash: string | null;
  frameworks: string[];
  files: string[];
}

/** README.md of the pack, addressed to an auditor: what it is, where each fact comes from, how to verify it. */
export function auditorReadme(f: ReadmeFacts): string {
  const files = [...f.files, 'README.md', 'manifest.json'].sort();
  const note = (path: string) =>
    path === 'manifest.json'
      ? 'SHA-256 and size of every other file, the tool version, the snapshot ids and the governance hash.'
      : (FILE_NOTES.find(([re]) => re.test(path))?.[1] ?? '');
  const sev = f.findings.bySeverity;
  return `# grantscope evidence pack — snapshot #${f.scan.id}

This folder is evidence of the third-party non-human identities (apps, service principals, OAuth grants,
tokens, keys) that hold access to the organisation's GitHub, Microsoft 365 and Google Workspace, as
grantscope recorded them.

- **Snapshot:** scan #${f.scan.id}, started ${f.scan.startedAt}, finished ${f.scan.finishedAt ?? 'n/a'}, status **${f.scan.status}**.
- **Compared with:** ${f.since ? `scan #${f.since.id} (${f.since.startedAt})` : 'nothing (first scan)'}.
- **Inventory:** ${f.identities} identities.
- **Findings:** ${f.findings.findings} (critical ${sev.critical}, high ${sev.high}, medium ${sev.medium}, low ${sev.low}, info ${sev.info}); ${f.findings.excepted} more accepted by a documented exception.
- **Governance in force:** ${f.governanceHash ? `SHA-256 \`${f.governanceHash}\` (over the governance files' contents, in order)` : 'none given'}.
- **Frameworks mapped:** ${f.frameworks.join('; ')}.

A status of **incomplete** means a collector could not read everything (see coverage.csv): its records
were carried over from the previous scan, and nothing it owns is reported as removed.

## Files

| File | What it is |
| --- | --- |
${files.map((p) => `| ${p} | ${note(p)} |`).join('\n')}

## Verifying the pack

Every file except manifest.json is listed in manifest.json with its SHA-256. To check them:

    node -e 'const m=require("./manifest.json");const c=require("crypto"),fs=require("fs");for(const f of m.files){const h=c.createHash("sha256").update(fs.readFileSync(f.path)).digest("hex");console.log(h===f.sha256?"OK  ":"BAD ",f.path)}'

or, with jq and sha256sum: \`jq -r '.files[] | "\\(.sha256)  \\(.path)"' manifest.json | sha256sum -c\`.

The pack is reproducible: running \`grantscope evidence\` again on the same database, snapshot, policy and
governance files with the same grantscope version gives byte-identical files. The one exception is
\`generatedAt\` in manifest.json, the time the pack was written (set \`SOURCE_DATE_EPOCH\` to fix it too).
In a zip, every entry is dated 1980-01-01 00:00 so that the zip itself is reproducible as well.

The governance hash in manifest.json (\`governance.hash\`) is the SHA-256 of the governance files as
given to this run; \`governance.hashAtScan\` is the one stored with the scan. Equal values show that the
decisions in this pack are the ones that were in force when the snapshot was taken.
`;
}
