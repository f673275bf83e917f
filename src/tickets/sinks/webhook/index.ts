import { createHmac } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Agent, type Dispatcher, fetch } from 'undici';
import { z } from 'zod';
import { readCaFile } from '../../../connector/http.js';
import { checkSecretRef, SinkCommon, secretRefShape } from '../../config.js';
import type { SinkContext, TicketSinkType } from '../../registry.js';
import { readSecretRef } from '../../secret.js';
import {
  type TicketCloseReason,
  type TicketContent,
  type TicketDocument,
  type TicketRef,
  type TicketSink,
  TicketSinkError,
} from '../../sink.js';

/**
 * A generic webhook: each lifecycle step is POSTed as a JSON event. The receiver verifies the
 * `X-Grantscope-Signature: sha256=<hex>` header, an HMAC-SHA256 of the raw body with the shared secret
 * (docs/tickets.md shows how). A webhook cannot be asked about a ticket, so the lifecycle trusts its
 * own state (`canReadState` false); the ticket id is ours: `<sink>:<key>`.
 */
export const WebhookSettings = SinkCommon.extend({
  type: z.literal('webhook'),
  url: z.url({ protocol: /^https?$/ }),
  ...secretRefShape('secret'),
  timeoutSeconds: z.number().positive().max(300).default(10),
  maxRetries: z.number().int().min(0).max(10).default(4),
  /** Upper bound of one wait, whatever Retry-After asks. */
  maxRetryWaitSeconds: z.number().positive().max(3600).default(60),
})
  .strict()
  .superRefine((v, ctx) => {
    const problem = checkSecretRef(v, 'secret', true);
    if (problem) ctx.addIssue({ code: 'custom', message: problem, path: ['secretEnv'] });
  });
export type WebhookSettings = z.infer<typeof WebhookSettings>;

export type WebhookEventType = 'opened' | 'updated' | 'resolved' | 'reopened' | 'excepted';

/** The JSON body of every event (documented in docs/tickets.md). */
export interface WebhookEvent {
  event: WebhookEventType;
  sink: string;
  /** Our ticket id: stable for the life of the ticket. */
  ticket: string;
  key: string;
  sentAt: string;
  content?: TicketContent;
  comment?: TicketDocument;
}

export const SIGNATURE_HEADER = 'x-grantscope-signature';

export function signature(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/** Seconds to wait from a Retry-After value (delta-seconds or an HTTP date), per RFC 9110 §10.2.3. */
export function retryAfterMs(value: string | null, now: number): number | null {
  if (!value) return null;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? null : Math.max(0, at - now);
}

export class WebhookSink implements TicketSink {
  readonly kind = 'webhook';
  readonly canReadState = false;
  readonly name: string;
  /** Requests made (retries included): what a sync costs. */
  requests = 0;

  constructor(
    private readonly settings: WebhookSettings,
    private readonly secret: string,
    private readonly options: {
      dispatcher?: Dispatcher;
      now?: () => Date;
      /** Base of the exponential back-off; tests make it small. */
      backoffMs?: number;
    } = {},
  ) {
    this.name = settings.name;
  }

  async open(content: TicketContent): Promise<TicketRef> {
    const id = `${this.name}:${content.key}`;
    await this.send('open', { event: 'opened', ticket: id, key: content.key, content });
    return { id, url: null };
  }

  async comment(ref: TicketRef, comment: TicketDocument): Promise<void> {
    await this.send('comment', { event: 'updated', ticket: ref.id, key: keyOf(ref), comment });
  }

  async close(
    ref: TicketRef,
    comment: TicketDocument,
    reason: TicketCloseReason = 'resolved',
  ): Promise<void> {
    await this.send('close', { event: reason, ticket: ref.id, key: keyOf(ref), comment });
  }

  async reopen(ref: TicketRef, comment: TicketDocument): Promise<void> {
    await this.send('reopen', { event: 'reopened', ticket: ref.id, key: keyOf(ref), comment });
  }

  async state(): Promise<never> {
    throw new TicketSinkError(this.name, 'state', 'a webhook cannot be asked about a ticket');
  }

  private async send(
    operation: 'open' | 'comment' | 'close' | 'reopen',
    event: Omit<WebhookEvent, 'sink' | 'sentAt'>,
  ): Promise<void> {
    const now = this.options.now ?? (() => new Date());
    const body = JSON.stringify({ ...event, sink: this.name, sentAt: now().toISOString() });
    const headers = {
      'content-type': 'application/json',
      'user-agent': 'grantscope',
      [SIGNATURE_HEADER]: signature(this.secret, body),
    };
    const { maxRetries, timeoutSeconds, maxRetryWaitSeconds } = this.settings;
    const base = this.options.backoffMs ?? 500;
    for (let attempt = 0; ; attempt++) {
      let status: number | null = null;
      let wait: number | null = null;
      let why: string;
      try {
        this.requests += 1;
        const res = await fetch(this.settings.url, {
          method: 'POST',
          headers,
          body,
          signal: AbortSignal.timeout(timeoutSeconds * 1000),
          ...(this.options.dispatcher ? { dispatcher: this.options.dispatcher } : {}),
        });
        await res.body?.cancel();
        if (res.ok) return;
        status = res.status;
        why = `the receiver answered ${res.status}`;
        // 4xx other than 408/429 will not get better by asking again.
        if (status < 500 && status !== 408 && status !== 429) {
          throw new TicketSinkError(this.name, operation, why, status);
        }
        wait = retryAfterMs(res.headers.get('retry-after'), now().getTime());
      } catch (err) {
        if (err instanceof TicketSinkError) throw err;
        // The network error's code, never its text: a webhook URL can carry a token in its path.
        const code = ((err as Error).cause as { code?: unknown } | undefined)?.code;
        why =
          (err as Error).name === 'TimeoutError'
            ? `no answer within ${timeoutSeconds}s`
            : `cannot reach the receiver (${typeof code === 'string' ? code : (err as Error).name})`;
      }
      if (attempt >= maxRetries) {
        throw new TicketSinkError(this.name, operation, `${why} (after ${attempt + 1} attempts)`, status);
      }
      const backoff = base * 2 ** attempt * (0.5 + Math.random() / 2);
      await sleep(Math.min(wait ?? backoff, maxRetryWaitSeconds * 1000));
    }
  }
}

function keyOf(ref: TicketRef): string {
  return ref.id.slice(ref.id.indexOf(':') + 1);
}

export const webhookSinkType: TicketSinkType<WebhookSettings> = {
  type: 'webhook',
  settings: WebhookSettings,
  create(settings: WebhookSettings, context: SinkContext) {
    const secret = readSecretRef(settings, 'secret', {
      sink: settings.name,
      configDir: context.configDir,
      ...(context.env ? { env: context.env } : {}),
    });
    const dispatcher = context.caFile
      ? new Agent({ connect: { ca: readCaFile(context.caFile) } })
      : undefined;
    return new WebhookSink(settings, secret!, dispatcher ? { dispatcher } : {});
  },
};
