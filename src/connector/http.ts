import { readFileSync } from 'node:fs';
import { rootCertificates } from 'node:tls';
import { Agent, type Dispatcher, fetch as undiciFetch } from 'undici';
import { CredentialSourceError } from '../errors.js';

export interface RetryPolicy {
  /** Retries per request for 429/5xx/connection errors. */
  maxRetries: number;
  /** First back-off delay; doubles each retry. */
  baseDelayMs: number;
  /** Upper bound for any single wait, including a server's Retry-After. */
  maxDelayMs: number;
}

export interface HttpPolicyOptions {
  /** PEM file of an extra CA to trust (TLS-inspecting proxy, private endpoint, the emulator). */
  caFile?: string | null;
  timeoutMs?: number;
  retry?: Partial<RetryPolicy>;
  userAgent?: string;
  /** Called for every request made through `fetch` (request accounting). */
  onRequest?: (url: string, method: string) => void;
}

/**
 * How connectors talk HTTP. SDKs that accept a fetch implementation get `fetch`; those that take
 * an undici dispatcher get `dispatcher`; those that take TLS options get `ca`. Every request made
 * through `fetch` is counted.
 */
export interface HttpPolicy {
  readonly fetch: typeof globalThis.fetch;
  readonly dispatcher: Dispatcher;
  /** Extra trusted CA certificates (PEM), or undefined to use the system store only. */
  readonly ca: string | undefined;
  readonly timeoutMs: number;
  readonly retry: RetryPolicy;
  readonly userAgent: string;
}

export const DEFAULT_RETRY: RetryPolicy = { maxRetries: 4, baseDelayMs: 500, maxDelayMs: 60_000 };

export function readCaFile(caFile: string): string {
  try {
    return readFileSync(caFile, 'utf8');
  } catch (err) {
    throw new CredentialSourceError(`tls.caFile: cannot read ${caFile}: ${(err as Error).message}`, {
      cause: err,
    });
  }
}

export function createHttpPolicy(options: HttpPolicyOptions = {}): HttpPolicy {
  const ca = options.caFile ? readCaFile(options.caFile) : undefined;
  const timeoutMs = options.timeoutMs ?? 30_000;
  const dispatcher = new Agent({
    connect: ca ? { ca: [...rootCertificates, ca] } : {},
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
  });
  const onRequest = options.onRequest;
  const fetchImpl = ((input: RequestInfo | URL, init?: RequestInit) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    const method = init?.method ?? (typeof input === 'object' && 'method' in input ? input.method : 'GET');
    onRequest?.(url, method);
    // undici's fetch accepts a per-request dispatcher; the global one knows nothing of our CA.
    return undiciFetch(input as Parameters<typeof undiciFetch>[0], {
      ...(init as Parameters<typeof undiciFetch>[1]),
      dispatcher,
    }) as unknown as Promise<Response>;
  }) as typeof globalThis.fetch;
  return {
    fetch: fetchImpl,
    dispatcher,
    ca,
    timeoutMs,
    retry: { ...DEFAULT_RETRY, ...options.retry },
    userAgent: options.userAgent ?? 'grantscope',
  };
}
