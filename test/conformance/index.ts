import type { RecordedRequest } from '../../src/emulator/journal.js';
import { checkGithubRequest } from './github.js';
import { checkGoogleWorkspaceRequest } from './google-workspace.js';
import { checkJiraRequest } from './jira.js';
import { checkMicrosoft365Request } from './microsoft365.js';

/**
 * Checks a request the emulator received against the vendor's machine-readable description of the
 * API it was sent to. Returns the problems found; an empty list means the description allows it.
 * Each platform's checker cites the description it reads (OpenAPI, GraphQL schema, discovery
 * document, CSDL/types) and the reference pages behind any rule the description cannot express.
 */
export type RequestCheck = (request: RecordedRequest) => string[];

export const REQUEST_CHECKS: Readonly<Record<string, RequestCheck>> = {
  github: checkGithubRequest,
  microsoft365: checkMicrosoft365Request,
  'google-workspace': checkGoogleWorkspaceRequest,
  jira: checkJiraRequest,
};

export interface ConformanceResult {
  /** Requests checked, per platform. */
  checked: Record<string, number>;
  /** Requests of platforms without a description (test-only toy platforms). */
  unchecked: number;
  violations: { request: string; problems: string[] }[];
}

export function describeRequest(r: RecordedRequest): string {
  const query = r.query.length > 0 ? `?${new URLSearchParams(r.query).toString()}` : '';
  return `${r.method} ${r.path}${query}`;
}

export function checkRequests(records: Iterable<RecordedRequest>): ConformanceResult {
  const result: ConformanceResult = { checked: {}, unchecked: 0, violations: [] };
  for (const r of records) {
    if (r.platform === null) {
      result.violations.push({
        request: describeRequest(r),
        problems: [
          `no emulator route serves ${r.method} ${r.path}: the vendor's description was never consulted`,
        ],
      });
      continue;
    }
    const check = REQUEST_CHECKS[r.platform];
    if (!check) {
      result.unchecked += 1;
      continue;
    }
    result.checked[r.platform] = (result.checked[r.platform] ?? 0) + 1;
    const problems = check(r);
    if (problems.length > 0) result.violations.push({ request: describeRequest(r), problems });
  }
  return result;
}
