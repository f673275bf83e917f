import type { EmuResponse } from '../router.js';

const STATUS_TEXT: Record<number, string> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  429: 'RESOURCE_EXHAUSTED',
  500: 'INTERNAL',
  503: 'UNAVAILABLE',
};

export interface GoogleErrorOptions {
  /** Legacy (Admin SDK) `errors[].reason`, e.g. `insufficientPermissions`, `notFound`, `invalid`. */
  reason?: string;
  /** Legacy `errors[].message`, when it differs from the top-level message. */
  detailMessage?: string;
  location?: { location: string; locationType: string };
  /** google.rpc.ErrorInfo detail: reason and service metadata. */
  errorInfo?: { reason: string; service: string; method?: string };
  /** Admin SDK (apiary) errors carry the legacy `errors` array; IAM/Resource Manager (One Platform) do not. */
  legacy?: boolean;
}

/** An error in Google's JSON shape (`{ error: { code, message, errors?, status, details? } }`). */
export function googleError(status: number, message: string, options: GoogleErrorOptions = {}): EmuResponse {
  const error: Record<string, unknown> = { code: status, message };
  if (options.legacy !== false) {
    error.errors = [
      {
        message: options.detailMessage ?? message,
        domain: 'global',
        reason: options.reason ?? 'badRequest',
        ...(options.location ?? {}),
      },
    ];
  }
  error.status = STATUS_TEXT[status] ?? 'UNKNOWN';
  if (options.errorInfo) {
    error.details = [
      {
        '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
        reason: options.errorInfo.reason,
        domain: 'googleapis.com',
        metadata: {
          service: options.errorInfo.service,
          ...(options.errorInfo.method ? { method: options.errorInfo.method } : {}),
        },
      },
    ];
  }
  return { status, body: { error }, headers: { vary: 'Origin, X-Origin, Referer' } };
}

/** Which family of Google API a route belongs to: their error bodies differ. */
export interface ApiFamily {
  /** `admin.googleapis.com`, `iam.googleapis.com`, … */
  service: string;
  /** Admin SDK (apiary) APIs send the legacy `errors` array. */
  legacy: boolean;
  /** RPC method name for ErrorInfo metadata. */
  method: string;
}

export function invalidArgument(api: ApiFamily, message: string): EmuResponse {
  return googleError(400, message, { legacy: api.legacy, reason: 'invalid' });
}
