import { describe, expect, it } from 'vitest';
import type { CollectorCoverage } from '../connector/coverage.js';
import type { ScanSummary } from '../store/store.js';
import { incompleteness, isTransientStatus } from './incomplete-scan.js';

const collector = (name: string, status: CollectorCoverage['status'], httpStatus: number | null = null) =>
  ({ collector: name, status, httpStatus }) as CollectorCoverage;

const scanWith = (...collectors: CollectorCoverage[]) =>
  ({
    id: 7,
    status: 'incomplete',
    sources: [{ source: 'github:acme', collectors }],
  }) as unknown as ScanSummary;

describe('incompleteness', () => {
  it('calls timeouts, throttling and server errors transient, refusals not', () => {
    expect([408, 429, 500, 502, 503, 504].every(isTransientStatus)).toBe(true);
    expect([null, 400, 401, 403, 404, 409, 422].some(isTransientStatus)).toBe(false);
  });

  it('is transient only when every failed collector met a transient status', () => {
    expect(
      incompleteness(scanWith(collector('apps', 'complete'), collector('hooks', 'failed', 503))),
    ).toEqual({
      transient: true,
      failed: ['github:acme/hooks (503)'],
    });
    expect(
      incompleteness(scanWith(collector('hooks', 'failed', 429), collector('keys', 'failed', 403))),
    ).toEqual({ transient: false, failed: ['github:acme/hooks (429)', 'github:acme/keys (403)'] });
    // A failure without a status (a thrown bug, a refused configuration) is not worth a retry.
    expect(incompleteness(scanWith(collector('apps', 'failed'))).transient).toBe(false);
    // Unavailable (a licence) is not a failure at all.
    expect(incompleteness(scanWith(collector('apps', 'unavailable', 403)))).toEqual({
      transient: false,
      failed: [],
    });
  });
});
