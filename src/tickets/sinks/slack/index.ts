import { setTimeout as sleep } from 'node:timers/promises';
import {
  type FetchFunction,
  IncomingWebhook,
  IncomingWebhookHTTPError,
  IncomingWebhookRequestError,
} from '@slack/webhook';
import { fetchTrusting } from '../../lazy-sink.js';
import type { SinkContext, TicketSinkType } from '../../registry.js';
import { readSecretRef } from '../../secret.js';
import { type DigestSink, type SyncDigest, TicketSinkError } from '../../sink.js';
import { retryAfterMs } from '../webhook/index.js';
import { SlackSettings } from './config.js';
import { digestMessage } from './message.js';

export { SlackSettings } from './config.js';

type FetchResponse = Awaited<ReturnType<FetchFunction>>;

export interface SlackSinkOptions {
  /** The fetch requests go through (a private CA, a test's). */
  fetch?: typeof fetch;
  now?: () => Date;
  /** Base of the exponential back-off after a 5xx or a connection failure; tests make it small. */
  backoffMs?: number;
}

/**
 * A digest of each sync posted to a Slack incoming webhook with Slack's own client
 * (`@slack/webhook`). Slack answers errors with an HTTP status and a short code in the body
 * (400 invalid_payload, 403 action_prohibited, 404 channel_not_found, 410 channel_is_archived,
 * 500 rollup_error: "Improving error conditions for Incoming Webhooks", api.slack.com changelog
 * 2016-05-17), and 429 with Retry-After past about one message per second ("Rate limits",
 * docs.slack.dev/apis/web-api/rate-limits). The client retries 5xx and connection failures; a 429 is
 * retried here, after the wait Slack asks for. Errors never carry the URL: it is the credential.
 */
export class SlackDigestSink implements DigestSink {
  readonly kind = 'slack';
  readonly delivery = 'digest' as const;
  readonly name: string;
  requests = 0;
  private readonly webhook: IncomingWebhook;

  constructor(
    private readonly settings: SlackSettings,
    url: string,
    private readonly options: SlackSinkOptions = {},
  ) {
    this.name = settings.name;
    this.webhook = new IncomingWebhook(url, {
      fetch: this.rateLimitedFetch(options.fetch ?? globalThis.fetch),
      timeout: settings.timeoutSeconds * 1000,
      retryConfig: {
        retries: settings.maxRetries,
        factor: 2,
        minTimeout: options.backoffMs ?? 500,
        maxTimeout: settings.maxRetryWaitSeconds * 1000,
        randomize: true,
      },
    });
  }

  async send(digest: SyncDigest): Promise<void> {
    const message = digestMessage(digest, { maxItems: this.settings.maxItems });
    try {
      await this.webhook.send(message);
    } catch (err) {
      throw this.sendError(err);
    }
  }

  /** Counts every request, and waits out a 429 as long as Retry-After asks (bounded), then asks again. */
  private rateLimitedFetch(base: typeof fetch): FetchFunction {
    const now = this.options.now ?? (() => new Date());
    return async (url, init) => {
      for (let attempt = 0; ; attempt++) {
        this.requests += 1;
        const res = (await base(url, init as RequestInit)) as unknown as FetchResponse;
        if (res.status !== 429 || attempt >= this.settings.maxRetries) return res;
        await res.text();
        const wait = retryAfterMs(res.headers.get('retry-after'), now().getTime()) ?? 1000;
        await sleep(Math.min(wait, this.settings.maxRetryWaitSeconds * 1000));
      }
    };
  }

  private sendError(err: unknown): TicketSinkError {
    if (err instanceof IncomingWebhookHTTPError) {
      // Slack's body is a short error code; anything else is not repeated.
      const code = /^[a-z_]{1,64}$/.test(err.body.trim()) ? `: ${err.body.trim()}` : '';
      return new TicketSinkError(
        this.name,
        'send',
        `Slack answered ${err.statusCode}${code}`,
        err.statusCode,
      );
    }
    if (err instanceof IncomingWebhookRequestError) {
      const original = err.original as Error & { cause?: { code?: unknown } };
      const code = typeof original.cause?.code === 'string' ? original.cause.code : original.name;
      const why =
        original.name === 'TimeoutError'
          ? `no answer within ${this.settings.timeoutSeconds}s`
          : `cannot reach Slack (${code})`;
      return new TicketSinkError(this.name, 'send', why);
    }
    return new TicketSinkError(this.name, 'send', (err as Error).name ?? 'error');
  }
}

export const slackSinkType: TicketSinkType<SlackSettings, DigestSink> = {
  type: 'slack',
  settings: SlackSettings,
  create(settings: SlackSettings, context: SinkContext) {
    const url = readSecretRef(settings, 'webhookUrl', {
      sink: settings.name,
      configDir: context.configDir,
      ...(context.env ? { env: context.env } : {}),
    })!;
    if (!/^https?:\/\/[^\s]+$/i.test(url)) {
      throw new TicketSinkError(
        settings.name,
        'send',
        'the webhook URL read from webhookUrlFile/webhookUrlEnv is not an http(s) URL',
      );
    }
    const f = fetchTrusting(context.caFile);
    return new SlackDigestSink(settings, url, f ? { fetch: f } : {});
  },
};
