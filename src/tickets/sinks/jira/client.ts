import { Agent } from 'node:https';
import { rootCertificates } from 'node:tls';
import type { HttpException, Version3Client } from 'jira.js';
import { TicketSinkError } from '../../sink.js';

type JiraJs = typeof import('jira.js');
let jiraJs: Promise<JiraJs> | undefined;
/** jira.js (with axios) takes ~1 s to load: only a sync that has a Jira sink pays for it, on first use. */
const loadJiraJs = (): Promise<JiraJs> => {
  jiraJs ??= import('jira.js');
  return jiraJs;
};

/**
 * The Jira REST v3 client (jira.js `Version3Client`, basic auth with email + API token) and the retry
 * policy around each call: 429 and 503 are retried after the `Retry-After` the answer names ("429
 * responses may be accompanied by Retry-After … Some transient 5XX errors are accompanied by a
 * Retry-After header", https://developer.atlassian.com/cloud/jira/platform/rate-limiting/), else
 * after an exponential backoff, a bounded number of times. Failures become `TicketSinkError`s built
 * from Jira's ErrorCollection (`errorMessages`, `errors`); the axios error, whose request config holds
 * the Authorization header, is never attached, logged or rethrown.
 */

export type JiraOperation = TicketSinkError['operation'];

export interface JiraClientOptions {
  sink: string;
  baseUrl: string;
  email: string;
  apiToken: string;
  /** Extra CA (PEM) to trust besides the system roots: a private endpoint, the local emulator. */
  ca?: string | null;
  /** Retries after 429/503 (default 4). */
  maxRetries?: number;
  /** The longest wait honoured (default 60 s); a longer `Retry-After` fails the call instead. */
  maxRetryWaitMs?: number;
  /** Per-request timeout (default 30 s). */
  timeoutMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

const RETRYABLE = new Set([429, 503]);

export class JiraApi {
  /** Requests sent, retries included: what a sync costs. */
  requests = 0;
  private readonly sleep: (ms: number) => Promise<void>;
  private client: Promise<{ client: Version3Client; HttpException: typeof HttpException }> | undefined;

  constructor(private readonly options: JiraClientOptions) {
    this.sleep = options.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
  }

  private connect() {
    this.client ??= loadJiraJs().then((jira) => ({
      HttpException: jira.HttpException,
      client: new jira.Version3Client({
        host: this.options.baseUrl,
        authentication: { basic: { email: this.options.email, apiToken: this.options.apiToken } },
        baseRequestConfig: {
          timeout: this.options.timeoutMs ?? 30_000,
          ...(this.options.ca
            ? { httpsAgent: new Agent({ ca: [...rootCertificates, this.options.ca], keepAlive: true }) }
            : {}),
        },
      }),
    }));
    return this.client;
  }

  /** Runs one API call with the retry policy; failures as TicketSinkError for `operation`. */
  async call<T>(
    operation: JiraOperation,
    what: string,
    run: (client: Version3Client) => Promise<T>,
  ): Promise<T> {
    const maxRetries = this.options.maxRetries ?? 4;
    const maxWait = this.options.maxRetryWaitMs ?? 60_000;
    const { client, HttpException } = await this.connect();
    for (let attempt = 0; ; attempt++) {
      this.requests += 1;
      try {
        return await run(client);
      } catch (err) {
        const failure = describeFailure(err, HttpException);
        if (failure.status !== null && RETRYABLE.has(failure.status) && attempt < maxRetries) {
          const wait = failure.retryAfterMs ?? Math.min(maxWait, 1000 * 2 ** attempt);
          if (wait <= maxWait) {
            await this.sleep(wait);
            continue;
          }
        }
        throw new TicketSinkError(
          this.options.sink,
          operation,
          `${what}: ${failure.message}`,
          failure.status,
        );
      }
    }
  }
}

export interface JiraFailure {
  status: number | null;
  message: string;
  retryAfterMs: number | null;
}

function hintFor(status: number): string {
  if (status === 401) return ' (check the email and the API token: apiTokenFile / apiTokenEnv)';
  if (status === 403)
    return ' (the Jira user lacks a permission on the project: Browse projects, Create issues, Add comments, Transition issues)';
  if (status === 429) return ' (rate limited; retries exhausted)';
  return '';
}

/** What went wrong, from jira.js's HttpException (status, ErrorCollection body, Retry-After) or a network error. */
export function describeFailure(err: unknown, httpException: typeof HttpException): JiraFailure {
  if (err instanceof httpException) {
    const response = (typeof err.response === 'object' ? err.response : {}) as {
      data?: unknown;
      status?: number;
    };
    const status = err.status;
    const cause = err.cause as { response?: { headers?: Record<string, unknown> } } | undefined;
    const retryAfter = Number(cause?.response?.headers?.['retry-after']);
    const data = (response.data ?? {}) as { errorMessages?: unknown; errors?: unknown };
    const parts: string[] = [];
    if (Array.isArray(data.errorMessages)) parts.push(...data.errorMessages.map(String));
    if (data.errors && typeof data.errors === 'object')
      for (const [field, message] of Object.entries(data.errors)) parts.push(`${field}: ${String(message)}`);
    const message =
      (parts.length > 0 ? parts.join('; ') : (err.statusText ?? `HTTP ${status}`)) + hintFor(status);
    return {
      status,
      message: message.slice(0, 1000),
      retryAfterMs: Number.isFinite(retryAfter) && retryAfter >= 0 ? retryAfter * 1000 : null,
    };
  }
  const e = err as { code?: unknown; message?: unknown };
  // axios network errors: the code (ECONNREFUSED, ETIMEDOUT, CERT_…) says it; the message can carry the URL only.
  const code = typeof e?.code === 'string' ? e.code : null;
  const message = typeof e?.message === 'string' ? e.message : String(err);
  return { status: null, message: code ? `${code}: ${message}` : message, retryAfterMs: null };
}
