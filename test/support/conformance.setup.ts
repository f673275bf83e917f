import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, expect } from 'vitest';
import { JOURNAL_ENV, type RecordedRequest } from '../../src/emulator/journal.js';
import { conformanceExemptions } from './conformance.js';

/**
 * Vitest setup, run in every test file: every request an emulator receives during the file (in this
 * process, or in a CLI child process, which inherits the environment) is journaled, then checked
 * against the vendor's description when the file ends. A request the description does not allow
 * fails the file. `GRANTSCOPE_CONFORMANCE_REPORT=<dir>` also writes each file's counts there.
 */
const journal = join(tmpdir(), `gs-journal-${process.pid}-${randomBytes(4).toString('hex')}.jsonl`);
process.env[JOURNAL_ENV] = journal;

afterAll(async () => {
  const records: RecordedRequest[] = existsSync(journal)
    ? readFileSync(journal, 'utf8')
        .split('\n')
        .filter((line) => line !== '')
        .map((line) => JSON.parse(line) as RecordedRequest)
    : [];
  rmSync(journal, { force: true });
  const exemptions = conformanceExemptions();
  const checked = records.filter((r) => !exemptions.some((e) => e.applies(r)));
  // The checkers (graphql, ajv and the vendors' descriptions) load only in files that sent requests: most
  // unit-test files send none.
  const result =
    checked.length > 0
      ? (await import('../conformance/index.js')).checkRequests(checked)
      : { checked: {}, unchecked: 0, violations: [] };
  const reportDir = process.env.GRANTSCOPE_CONFORMANCE_REPORT;
  if (reportDir) {
    mkdirSync(reportDir, { recursive: true });
    const testFile = expect.getState().testPath ?? 'unknown';
    writeFileSync(
      join(reportDir, `${basename(testFile)}-${process.pid}.json`),
      JSON.stringify({
        file: testFile,
        recorded: records.length,
        exempt: records.length - checked.length,
        exemptions: exemptions.map((e) => e.reason),
        ...result,
      }),
    );
  }
  if (result.violations.length > 0) {
    const lines = result.violations
      .slice(0, 25)
      .map((v) => `  ${v.request}\n${v.problems.map((p) => `    - ${p}`).join('\n')}`);
    throw new Error(
      `${result.violations.length} emulator request(s) not allowed by the vendor's description:\n${lines.join('\n')}`,
    );
  }
});
