import { describe, expect, it } from 'vitest';
import { ApiError } from '../errors.js';
import { CoverageTracker } from './coverage.js';

describe('CoverageTracker.fail', () => {
  const failed = (err: unknown) => {
    const cov = new CoverageTracker('acme-saas', 'acme-saas', 't1');
    cov.begin('apps');
    cov.fail('apps', err);
    return cov.report().collectors[0]!;
  };

  it('keeps the HTTP status and call of an ApiError', () => {
    expect(
      failed(new ApiError('Acme', 429, 'slow down', { method: 'GET', path: '/api/apps' })),
    ).toMatchObject({ status: 'failed', httpStatus: 429, api: 'GET /api/apps' });
  });

  it("keeps the `status` of a plugin's error thrown without importing the engine", () => {
    expect(failed(Object.assign(new Error('GET /api/apps returned 503'), { status: 503 }))).toMatchObject({
      status: 'failed',
      httpStatus: 503,
      reason: 'GET /api/apps returned 503',
    });
  });

  it('ignores a `status` that is no HTTP status', () => {
    expect(failed(Object.assign(new Error('x'), { status: 'down' })).httpStatus).toBeNull();
    expect(failed(Object.assign(new Error('x'), { status: 42 })).httpStatus).toBeNull();
    expect(failed('a string').httpStatus).toBeNull();
  });
});
