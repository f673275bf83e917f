import { createHmac, timingSafeEqual } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseYaml, validateYaml } from '../../../config/yaml-file.js';
import { type ConfigError, CredentialSourceError } from '../../../errors.js';
import { TicketsSection } from '../../config.js';
import { configuredSinks, SinkTypeRegistry } from '../../registry.js';
import { TicketSinkError } from '../../sink.js';
import { retryAfterMs, WebhookSettings, WebhookSink } from './index.js';

const SECRET = 'hook-secret-do-not-leak';

interface Received {
  headers: IncomingMessage['headers'];
  body: string;
}

/** A receiver that verifies signatures the way docs/tickets.md tells users to, and answers from a script. */
let server: Server;
let url: string;
let received: Received[];
let answers: { status: number; headers?: Record<string, string> }[];
beforeEach(async () => {
  received = [];
  answers = [];
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      received.push({ headers: req.headers, body });
      const answer = answers.shift() ?? { status: 204 };
      res.writeHead(answer.status, answer.headers ?? {}).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
});
afterEach(async () => {
  await new Promise((r) => server.close(r));
});

function verified(r: Received, secret = SECRET): boolean {
  const expected = Buffer.from(`sha256=${createHmac('sha256', secret).update(r.body).digest('hex')}`);
  const got = Buffer.from(String(r.headers['x-grantscope-signature'] ?? ''));
  return got.length === expected.length && timingSafeEqual(got, expected);
}

function sink(over: Record<string, unknown> = {}) {
  const settings = WebhookSettings.parse({ name: 'siem', type: 'webhook', url, secretEnv: 'X', ...over });
  return new WebhookSink(settings, SECRET, { backoffMs: 1, now: () => new Date('2026-02-01T00:00:00Z') });
}

const content = {
  title: 'Partner <b>App</b> @here',
  body: { blocks: [{ kind: 'paragraph' as const, text: 'x' }] },
  severity: 'high' as const,
  labels: ['grantscope'],
  key: 'fp1',
  fingerprints: ['fp1'],
};
const doc = { blocks: [{ kind: 'paragraph' as const, text: 'closed' }] };

describe('webhook sink', () => {
  it('POSTs each lifecycle step as a signed JSON event', async () => {
    const s = sink();
    const ref = await s.open(content);
    expect(ref).toEqual({ id: 'siem:fp1', url: null });
    await s.comment(ref, doc);
    await s.close(ref, doc, 'excepted');
    await s.reopen(ref, doc);
    await s.close(ref, doc);
    expect(received.map((r) => JSON.parse(r.body).event)).toEqual([
      'opened',
      'updated',
      'excepted',
      'reopened',
      'resolved',
    ]);
    for (const r of received) {
      expect(verified(r)).toBe(true);
      expect(verified(r, 'another secret')).toBe(false);
      expect(r.headers['content-type']).toBe('application/json');
      expect(r.body).not.toContain(SECRET);
    }
    expect(JSON.parse(received[0]!.body)).toEqual({
      event: 'opened',
      ticket: 'siem:fp1',
      key: 'fp1',
      content,
      sink: 'siem',
      sentAt: '2026-02-01T00:00:00.000Z',
    });
    expect(s.canReadState).toBe(false);
  });

  it('retries 5xx and 429, honouring Retry-After, then succeeds', async () => {
    answers = [{ status: 503 }, { status: 429, headers: { 'retry-after': '0' } }, { status: 200 }];
    const s = sink();
    await s.open(content);
    expect(received).toHaveLength(3);
    expect(s.requests).toBe(3);
    expect(new Set(received.map((r) => r.body)).size).toBe(1);
  });

  it('gives up after maxRetries with an error naming sink, operation and status; 4xx is not retried', async () => {
    answers = [{ status: 500 }, { status: 500 }, { status: 500 }];
    const err = await sink({ maxRetries: 2 })
      .comment({ id: 'siem:fp1', url: null }, doc)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TicketSinkError);
    expect((err as TicketSinkError).message).toBe(
      'ticket sink "siem": comment failed (HTTP 500): the receiver answered 500 (after 3 attempts)',
    );
    received = [];
    answers = [{ status: 401 }];
    const denied = await sink()
      .open(content)
      .catch((e: unknown) => e);
    expect((denied as TicketSinkError).status).toBe(401);
    expect(received).toHaveLength(1);
  });

  it('times out a receiver that does not answer', async () => {
    server.removeAllListeners('request');
    server.on('request', () => {}); // never answers
    const err = await sink({ timeoutSeconds: 0.2, maxRetries: 0 })
      .open(content)
      .catch((e: unknown) => e);
    expect((err as TicketSinkError).message).toMatch(/open failed: no answer within 0.2s/);
  });

  it('a receiver that is not listening fails with the network error code, never the URL', async () => {
    const closed = `${url.replace('/hook', '')}/T0KEN-IN-PATH`;
    await new Promise((r) => server.close(r));
    const err = await sink({ url: closed, maxRetries: 1 })
      .open(content)
      .catch((e: unknown) => e);
    expect((err as TicketSinkError).message).toBe(
      'ticket sink "siem": open failed: cannot reach the receiver (ECONNREFUSED) (after 2 attempts)',
    );
    server.listen(0, '127.0.0.1');
  });

  it('reads Retry-After as seconds or an HTTP date', () => {
    const now = Date.parse('2026-02-01T00:00:00Z');
    expect(retryAfterMs('7', now)).toBe(7000);
    expect(retryAfterMs('Sun, 01 Feb 2026 00:00:05 GMT', now)).toBe(5000);
    expect(retryAfterMs('soon', now)).toBeNull();
  });
});

describe('tickets config', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'gs-tickets-config-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const load = (text: string, env: NodeJS.ProcessEnv = {}) => {
    const parsed = parseYaml({ file: join(dir, 'grantscope.yaml'), text });
    const section = validateYaml(parsed, TicketsSection, (parsed.value as { tickets: unknown }).tickets, [
      'tickets',
    ]);
    const sinks = configuredSinks(parsed, section, new SinkTypeRegistry());
    return sinks.map((s) => ({
      settings: s.settings,
      sink: s.type.create(s.settings, { configDir: dir, caFile: null, env }),
    }));
  };

  it('builds a webhook sink with its secret from a file or the environment, and defaults', () => {
    writeFileSync(join(dir, 'hook.secret'), `${SECRET}\n`);
    const [a, b] = load(
      `tickets:\n  sinks:\n    - { name: a, type: webhook, url: "${url}", secretFile: hook.secret }\n    - { name: b, type: webhook, url: "${url}", secretEnv: HOOK, group: identity, minSeverity: high }\n`,
      { HOOK: SECRET },
    );
    expect(a!.settings).toMatchObject({ group: 'finding', minSeverity: 'medium', timeoutSeconds: 10 });
    expect(b!.settings).toMatchObject({ group: 'identity', minSeverity: 'high' });
    expect(a!.sink.name).toBe('a');
  });

  it('refuses inline secrets, unknown keys and types, duplicate names; errors name the key and line', () => {
    const err = (text: string) => {
      try {
        load(text);
      } catch (e) {
        return e as ConfigError;
      }
      throw new Error('expected a config error');
    };
    const inline = err(
      `tickets:\n  sinks:\n    - name: a\n      type: webhook\n      url: "${url}"\n      secret: ${SECRET}\n`,
    );
    expect(inline.message).toContain('line 6: tickets.sinks[0].secret: secrets are never written inline');
    expect(inline.message).not.toContain(SECRET);
    expect(err(`tickets:\n  sinks:\n    - { name: a, type: webhook, url: "${url}" }\n`).message).toContain(
      'secretFile or secretEnv is required',
    );
    expect(err(`tickets:\n  sinks:\n    - { name: a, type: jirra }\n`).message).toMatch(
      /line 3: tickets.sinks\[0\].type: unknown sink type 'jirra'; known types: github-issues, jira, servicenow, slack, webhook/,
    );
    expect(
      err(`tickets:\n  sinks:\n    - { name: a, type: webhook, url: "${url}", secretEnv: H, colour: red }\n`)
        .message,
    ).toContain("unknown key 'colour'");
    expect(
      err(
        `tickets:\n  sinks:\n    - { name: a, type: webhook, url: "${url}", secretEnv: H, rules: [stale, stael] }\n`,
      ).message,
    ).toMatch(/tickets.sinks\[0\].rules\[1\]: unknown rule 'stael'; rules: .*stale/);
    expect(
      err(
        `tickets:\n  sinks:\n    - { name: a, type: webhook, url: "${url}", secretEnv: H }\n    - { name: a, type: webhook, url: "${url}", secretEnv: H }\n`,
      ).message,
    ).toContain("sink name 'a' is used twice");
  });

  it('a missing secret is a clear error that names the key, not the value', () => {
    expect(() =>
      load(`tickets:\n  sinks:\n    - { name: a, type: webhook, url: "${url}", secretEnv: NOT_SET }\n`),
    ).toThrow(
      new CredentialSourceError('tickets.sinks[a].secretEnv: environment variable NOT_SET is not set'),
    );
  });
});
