import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A local Slack incoming webhook, as strict as Slack documents it, for the Slack digest sink's tests.
 * Sources:
 * - Status codes and body strings: "Improving error conditions for Incoming Webhooks" (api.slack.com
 *   changelog, 2016-05-17): 400 invalid_payload, 403 action_prohibited, 404 channel_not_found,
 *   410 channel_is_archived, 500 rollup_error; success is 200 with the body `ok`. The "Sending messages
 *   using incoming webhooks" guide (docs.slack.dev/messaging/sending-messages-using-incoming-webhooks,
 *   "Handling errors") adds 404 no_service for a webhook that was removed or never existed, 400 no_text
 *   for a message with neither `text` nor `blocks`, and 400 invalid_blocks.
 * - Block limits: Block Kit reference (docs.slack.dev/reference/block-kit/blocks): at most 50 blocks per
 *   message; a section's text at most 3,000 characters; a header's text plain_text, at most 150.
 * - Rate: "Rate limits" (docs.slack.dev/apis/web-api/rate-limits): incoming webhooks post about one
 *   message per second, short bursts allowed; past that, 429 with Retry-After.
 */
export interface SlackWebhookEmulatorOptions {
  /** Messages allowed in a burst before the one-per-second rate applies (default 3). */
  burst?: number;
  /** Refill rate of the bucket, messages per second (default 1). */
  perSecond?: number;
}

export interface PostedSlackMessage {
  hook: string;
  body: Record<string, unknown>;
}

export interface RunningSlackWebhook {
  /** `http://127.0.0.1:PORT`. */
  url: string;
  /** A new incoming webhook URL (one channel); the path's last part is the secret. */
  createHook(): string;
  /** What an admin does: remove the webhook (404 no_service afterwards). */
  removeHook(hookUrl: string): void;
  /** What a channel manager does: archive the hook's channel (410 channel_is_archived). */
  archiveChannel(hookUrl: string): void;
  /** While true every request gets 500 rollup_error. */
  setOutage(down: boolean): void;
  messages: PostedSlackMessage[];
  /** Every request, accepted or not: what a sync costs. */
  requests: { path: string; status: number }[];
  close(): Promise<void>;
}

const BLOCK_TYPES = new Set(['header', 'section', 'context', 'divider', 'rich_text', 'actions', 'image']);
const TEXT_TYPES = new Set(['plain_text', 'mrkdwn']);

/** Why a blocks array is invalid (invalid_blocks), or null. Covers the limits cited above. */
function invalidBlocks(blocks: unknown): string | null {
  if (!Array.isArray(blocks)) return 'blocks is not an array';
  if (blocks.length > 50) return `${blocks.length} blocks (at most 50)`;
  for (const [i, b] of blocks.entries()) {
    const block = b as { type?: unknown; text?: { type?: unknown; text?: unknown }; elements?: unknown };
    if (typeof block?.type !== 'string' || !BLOCK_TYPES.has(block.type)) return `blocks[${i}]: unknown type`;
    if (block.type === 'header') {
      if (block.text?.type !== 'plain_text') return `blocks[${i}]: a header's text must be plain_text`;
      if (typeof block.text.text !== 'string' || block.text.text.length > 150)
        return `blocks[${i}]: header text over 150 characters`;
    }
    if (block.type === 'section') {
      const t = block.text;
      if (!t || !TEXT_TYPES.has(t.type as string) || typeof t.text !== 'string' || t.text.length === 0)
        return `blocks[${i}]: a section needs a text object`;
      if (t.text.length > 3000) return `blocks[${i}]: section text over 3000 characters`;
    }
    if (block.type === 'context') {
      if (!Array.isArray(block.elements) || block.elements.length === 0 || block.elements.length > 10)
        return `blocks[${i}]: a context needs 1 to 10 elements`;
    }
  }
  return null;
}

export async function startSlackWebhookEmulator(
  options: SlackWebhookEmulatorOptions = {},
): Promise<RunningSlackWebhook> {
  const burst = options.burst ?? 3;
  const perSecond = options.perSecond ?? 1;
  const hooks = new Map<string, { archived: boolean }>();
  const messages: PostedSlackMessage[] = [];
  const requests: { path: string; status: number }[] = [];
  let outage = false;
  let tokens = burst;
  let refilledAt = Date.now();

  const answer = (res: ServerResponse, path: string, status: number, body: string, headers = {}) => {
    requests.push({ path, status });
    res.writeHead(status, { 'content-type': 'text/html', ...headers });
    res.end(body);
  };

  const handle = (req: IncomingMessage, res: ServerResponse, raw: string) => {
    const path = (req.url ?? '/').split('?')[0]!;
    if (outage) return answer(res, path, 500, 'rollup_error');
    const hook = hooks.get(path);
    if (!hook) return answer(res, path, 404, 'no_service');
    if (req.method !== 'POST') return answer(res, path, 400, 'invalid_payload');
    const now = Date.now();
    tokens = Math.min(burst, tokens + ((now - refilledAt) / 1000) * perSecond);
    refilledAt = now;
    if (tokens < 1) {
      const wait = Math.ceil((1 - tokens) / perSecond);
      return answer(res, path, 429, 'rate_limited', { 'retry-after': String(wait) });
    }
    tokens -= 1;
    // "verify your content body matches your content type": JSON bodies only, here.
    if (!/^application\/json\b/i.test(req.headers['content-type'] ?? '')) {
      return answer(res, path, 400, 'invalid_payload');
    }
    let body: unknown;
    try {
      body = JSON.parse(raw);
    } catch {
      return answer(res, path, 400, 'invalid_payload');
    }
    if (body === null || typeof body !== 'object' || Array.isArray(body)) {
      return answer(res, path, 400, 'invalid_payload');
    }
    const message = body as Record<string, unknown>;
    const hasText = typeof message.text === 'string' && message.text.length > 0;
    if (!hasText && message.blocks === undefined) return answer(res, path, 400, 'no_text');
    if (message.blocks !== undefined && invalidBlocks(message.blocks)) {
      return answer(res, path, 400, 'invalid_blocks');
    }
    if (hook.archived) return answer(res, path, 410, 'channel_is_archived');
    messages.push({ hook: path, body: message });
    return answer(res, path, 200, 'ok');
  };

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => handle(req, res, Buffer.concat(chunks).toString('utf8')));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const pathOf = (hookUrl: string) => new URL(hookUrl).pathname;
  return {
    url,
    createHook() {
      const id = (n: number) => randomBytes(n).toString('hex').toUpperCase().slice(0, 10);
      const path = `/services/T${id(6)}/B${id(6)}/${randomBytes(12).toString('base64url')}`;
      hooks.set(path, { archived: false });
      return `${url}${path}`;
    },
    removeHook: (hookUrl) => void hooks.delete(pathOf(hookUrl)),
    archiveChannel(hookUrl) {
      const h = hooks.get(pathOf(hookUrl));
      if (h) h.archived = true;
    },
    setOutage: (down) => {
      outage = down;
    },
    messages,
    requests,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}
