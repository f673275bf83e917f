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
  /** google.rpc.BadRequest detail: the offending fields. */
  fieldViolations?: Array<{ field?: string; description: string }>;
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
  const details: unknown[] = [];
  if (options.fieldViolations) {
    details.push({
      '@type': 'type.googleapis.com/google.rpc.BadRequest',
      fieldViolations: options.fieldViolations,
    });
  }
  if (options.errorInfo) {
    details.push({
      '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
      reason: options.errorInfo.reason,
      domain: 'googleapis.com',
      metadata: {
        service: options.errorInfo.service,
        ...(options.errorInfo.method ? { method: options.errorInfo.method } : {}),
      },
    });
  }
  if (details.length > 0) error.details = details;
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

/**
 * A query parameter out of its documented range, pattern or enum. Admin SDK (ESF) answers 400 with
 * reason `invalidParameter` and the parameter as location, e.g. `Invalid value '500'. Values must be
 * within the range: [1, 200]` (a Directory API list call, quoted in taers232c/GAMADV-X issue #84).
 */
export function invalidParameter(api: ApiFamily, param: string, message: string): EmuResponse {
  return googleError(400, message, {
    legacy: api.legacy,
    reason: 'invalidParameter',
    location: { location: param, locationType: 'parameter' },
  });
}

/**
 * One Platform APIs (IAM, Resource Manager) map query parameters onto the request message by gRPC
 * transcoding and refuse a name the message lacks: `Invalid JSON payload received. Unknown name
 * "x": Cannot bind query parameter. Field 'x' could not be found in request message.` with a
 * google.rpc.BadRequest detail (the transcoding error as Google's ESF sends it; quoted from real
 * responses of other One Platform APIs in public client code, e.g. the Docs API and Secure Token API).
 */
export function unknownQueryParameter(api: ApiFamily, name: string): EmuResponse {
  const message = `Invalid JSON payload received. Unknown name "${name}": Cannot bind query parameter. Field '${name}' could not be found in request message.`;
  return googleError(400, message, { legacy: api.legacy, fieldViolations: [{ description: message }] });
}

/** One Platform: a JSON body field the request message lacks (`… Unknown name "x": Cannot find field.`). */
export function unknownBodyField(api: ApiFamily, name: string, at: string | null): EmuResponse {
  const message = `Invalid JSON payload received. Unknown name "${name}"${at ? ` at '${at}'` : ''}: Cannot find field.`;
  return googleError(400, message, {
    legacy: api.legacy,
    fieldViolations: [{ ...(at ? { field: at } : {}), description: message }],
  });
}
