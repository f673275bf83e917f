import type { EmuRequest, EmuResponse, RouteFaults } from '../router.js';
import { type ApiFamily, googleError } from './google-errors.js';
import { encodePageToken } from './protocol.js';

/** What one Google route answers to a missing permission or resource, and whether it pages. */
export interface GoogleRouteAnswers {
  permissionDenied?: (req: EmuRequest) => EmuResponse;
  notFound?: (req: EmuRequest) => EmuResponse;
  /** The method pages with `pageToken` / `nextPageToken`. */
  paged: boolean;
}

/**
 * How a Google route answers the faults that must look like Google's own responses:
 * - an expired access token: 401 UNAUTHENTICATED "Request had invalid authentication credentials.
 *   Expected OAuth 2 access token, …" with a google.rpc.ErrorInfo of reason ACCESS_TOKEN_EXPIRED ("The
 *   request is denied because the provided access token has expired", googleapis/googleapis
 *   google/api/error_reason.proto; the full response as Google sends it is quoted in
 *   googleapis/google-cloud-python#15080), the legacy `errors[]` entry of Admin SDK APIs (reason
 *   `authError`, "Invalid Credentials", location Authorization) and the RFC 6750 §3.1 challenge
 *   `Bearer realm="https://accounts.google.com/", error="invalid_token"`;
 * - a missing permission or resource: the route's own answers;
 * - a paging loop: a `nextPageToken` that leads back to the page just served (the token of this
 *   request, or the first page's).
 */
export function googleRouteFaults(api: ApiFamily, answers: GoogleRouteAnswers): RouteFaults {
  const faults: RouteFaults = {
    tokenExpired: () => {
      const resp = googleError(
        401,
        'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.',
        {
          legacy: api.legacy,
          reason: 'authError',
          detailMessage: 'Invalid Credentials',
          location: { location: 'Authorization', locationType: 'header' },
          errorInfo: { reason: 'ACCESS_TOKEN_EXPIRED', service: api.service, method: api.method },
        },
      );
      return {
        ...resp,
        headers: {
          ...resp.headers,
          'www-authenticate': 'Bearer realm="https://accounts.google.com/", error="invalid_token"',
        },
      };
    },
  };
  if (answers.permissionDenied) faults.permissionDenied = answers.permissionDenied;
  if (answers.notFound) faults.notFound = answers.notFound;
  if (answers.paged) {
    faults.loopPaging = (req, resp) => {
      const body = resp.body;
      if (!body || typeof body !== 'object' || Array.isArray(body)) return null;
      // An empty cursor is the first page on every paged route.
      const token = req.query.get('pageToken') || encodePageToken(req, '');
      return { ...resp, body: { ...body, nextPageToken: token } };
    };
  }
  return faults;
}
