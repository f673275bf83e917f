import { ApiError, TenantNotFoundError } from '../../src/errors.js';
import type { GithubClient } from './client.js';
import { toApiError } from './client.js';
import type { GithubConfig } from './config.js';

/**
 * Every organisation has members and app installations: a 404 on either list means the organisation is
 * not there (a typo in `org`), or the app cannot see it. Said once, for the tenant, not per collector.
 */
export function organisationNotFound(error: unknown, collector?: string): TenantNotFoundError | null {
  if (
    !(error instanceof ApiError) ||
    error.status !== 404 ||
    !/^\/orgs\/[^/]+\/(members|installations)(\?|$)/.test(error.detail.path ?? '')
  )
    return null;
  return new TenantNotFoundError(
    'organisation',
    error.api,
    404,
    `GitHub answered 404 to GET ${error.detail.path}`,
    'github.org',
    '(and that the GitHub App is installed on that organisation)',
    { method: 'GET', path: error.detail.path, ...(collector ? { collector } : {}) },
    { cause: error },
  );
}

/**
 * For `doctor`: whether `org` names an organisation the credentials can see, with the members list read
 * one entry long. Throws `TenantNotFoundError` on a 404; anything else (a 403 for a permission not
 * granted) is for the permission checks to report.
 */
export async function checkOrganisation(client: GithubClient, config: GithubConfig): Promise<void> {
  const route = 'GET /orgs/{org}/members';
  try {
    await client.octokit.request(route, { org: config.org, per_page: 1 });
  } catch (err) {
    const notFound = organisationNotFound(toApiError(err, route));
    if (notFound) throw notFound;
  }
}
