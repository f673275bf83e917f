import { setTimeout as sleep } from 'node:timers/promises';
import { TicketSinkError } from '../../sink.js';

type Operation = TicketSinkError['operation'];

export interface TableClientOptions {
  sink: string;
  instance: string;
  table: string;
  username: string;
  password: string;
  fetch?: typeof fetch;
  /** Retries after 429/503 (honouring Retry-After, at most `maxWaitSeconds` each). */
  retries?: number;
  maxWaitSeconds?: number;
}

export interface TableResponse {
  status: number;
  result: unknown;
  headers: Headers;
}

/**
 * The few Table API calls the sink makes (ServiceNow Table API reference: POST/GET/PATCH
 * /api/now/table/{tableName}[/{sys_id}]), with basic authentication, ServiceNow's error body read
 * into the error message, and bounded retries where the instance asks for them.
 */
export class TableClient {
  private readonly base: string;
  private readonly auth: string;
  private readonly doFetch: typeof fetch;

  constructor(private readonly o: TableClientOptions) {
    this.base = `${o.instance.replace(/\/+$/, '')}/api/now/table/${encodeURIComponent(o.table)}`;
    this.auth = `Basic ${Buffer.from(`${o.username}:${o.password}`).toString('base64')}`;
    this.doFetch = o.fetch ?? fetch;
  }

  async call(
    operation: Operation,
    method: 'GET' | 'POST' | 'PATCH',
    path: string,
    query: Record<string, string>,
    body?: Record<string, string>,
    accept404 = false,
  ): Promise<TableResponse> {
    const url = `${this.base}${path}?${new URLSearchParams(query)}`;
    const retries = this.o.retries ?? 3;
    for (let attempt = 0; ; attempt++) {
      let res: Response;
      try {
        res = await this.doFetch(url, {
          method,
          headers: {
            authorization: this.auth,
            accept: 'application/json',
            ...(body ? { 'content-type': 'application/json' } : {}),
          },
          ...(body ? { body: JSON.stringify(body) } : {}),
          signal: AbortSignal.timeout(30_000),
        });
      } catch (e) {
        if (attempt < retries) {
          await sleep(500 * 2 ** attempt);
          continue;
        }
        throw new TicketSinkError(
          this.o.sink,
          operation,
          `cannot reach ${this.o.instance}: ${String(e)}`,
          null,
          {
            cause: e,
          },
        );
      }
      if ((res.status === 429 || res.status === 503) && attempt < retries) {
        const wait = retryAfterSeconds(res.headers.get('retry-after')) ?? 2 ** attempt;
        await res.arrayBuffer();
        await sleep(Math.min(wait, this.o.maxWaitSeconds ?? 60) * 1000);
        continue;
      }
      const text = await res.text();
      const json = text ? safeJson(text) : null;
      if (res.ok || (accept404 && res.status === 404)) {
        return {
          status: res.status,
          result: (json as { result?: unknown } | null)?.result ?? null,
          headers: res.headers,
        };
      }
      throw new TicketSinkError(this.o.sink, operation, describeFailure(json, text), res.status);
    }
  }
}

function retryAfterSeconds(value: string | null): number | null {
  if (!value) return null;
  const n = Number(value);
  if (Number.isFinite(n)) return Math.max(0, n);
  const at = Date.parse(value);
  return Number.isNaN(at) ? null : Math.max(0, (at - Date.now()) / 1000);
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

/** ServiceNow's `{ error: { message, detail }, status: "failure" }`, else the start of the body. */
function describeFailure(json: unknown, text: string): string {
  const error = (json as { error?: { message?: unknown; detail?: unknown } } | null)?.error;
  if (error && typeof error.message === 'string') {
    return typeof error.detail === 'string' && error.detail
      ? `${error.message}: ${error.detail}`
      : error.message;
  }
  return text.slice(0, 200) || 'no response body';
}
