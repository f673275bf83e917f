import { appendFileSync, mkdtempSync, readdirSync, readFileSync, statSync, truncateSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpPolicy, isCredentialExchange } from '../connector/http.js';
import { silentLogger } from '../log/logger.js';
import { scrubText } from '../log/redact.js';
import { JournalWriter, journalable, readJournal } from './response-journal.js';
import { ScanJournal } from './scan-journal.js';

const header = {
  kind: 'grantscope-response-journal' as const,
  version: 1 as const,
  scanId: 1,
  resumeOf: null,
  startedAt: '2026-01-01T00:00:00Z',
  sources: [{ source: 'p:t', connector: 'p', config: 'x' }],
};
const entry = (n: number) => ({
  source: 'p:t',
  method: 'GET',
  url: `https://api.example/items?page=${n}`,
  bodyHash: null,
  occurrence: 0,
  answer: { status: 200, headers: { 'content-type': 'application/json' }, body: `{"page":${n}}` },
});

describe('response journal file', () => {
  it('a journal cut off mid-line (kill -9 during an append) reads back as its whole lines', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gs-journal-'));
    const file = join(dir, '1.ndjson');
    const w = JournalWriter.create(file, header);
    for (let i = 0; i < 3; i++) w.append(entry(i));
    w.close();
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const whole = readFileSync(file, 'utf8').length;
    appendFileSync(file, JSON.stringify(entry(3)));
    truncateSync(file, whole + 25);
    const read = readJournal(file)!;
    expect([...read.entries()].map((e) => e.url)).toEqual([0, 1, 2].map((n) => entry(n).url));
    expect(read.dropped).toBe(1);
  });

  it('an answer with a secret-named field is kept redacted; one with a credential in free text is not kept', () => {
    const redacted = journalable('https://x/a', {
      status: 200,
      headers: {},
      body: JSON.stringify({ token: 'abc', name: 'n' }),
    });
    expect(redacted?.body).toBe('{"token":"[redacted]","name":"n"}');
    expect(
      journalable('https://x/a', {
        status: 200,
        headers: {},
        body: JSON.stringify({ description: 'ghp_abcdefghijklmnopqrstuvwxyz0123456789' }),
      }),
    ).toBeNull();
    expect(journalable('https://x/a?access_token=abc', { status: 200, headers: {}, body: '{}' })).toBeNull();
    // Not JSON (a body cut off): not kept.
    expect(journalable('https://x/a', { status: 200, headers: {}, body: '{"value":[{"id":"a"}' })).toBeNull();
    expect(
      journalable('https://x/a', { status: 200, headers: {}, body: '{"value":[{"id":"a"}]}' }),
    ).not.toBeNull();
  });

  it('an answer with nothing to redact is kept byte for byte; an escaped credential is still caught', () => {
    const body = '{ "value": [ {"id": "a", "displayName": "App \\u00e9"} ] }';
    expect(journalable('https://x/a', { status: 200, headers: {}, body })?.body).toBe(body);
    // \u0067 is "g": the token only shows once the JSON is read.
    const escaped = '{"description":"\\u0067hp_abcdefghijklmnopqrstuvwxyz0123456789"}';
    expect(scrubText(escaped)).toBe(escaped);
    expect(journalable('https://x/a', { status: 200, headers: {}, body: escaped })).toBeNull();
  });

  it('token endpoints and form posts are credential exchanges', () => {
    expect(isCredentialExchange('https://login.example/t/oauth2/v2.0/token', null, '')).toBe(true);
    expect(isCredentialExchange('https://oauth2.googleapis.com/token', null, '')).toBe(true);
    expect(isCredentialExchange('https://gh/api/v3/app/installations/1/access_tokens', null, null)).toBe(
      true,
    );
    expect(isCredentialExchange('https://x/api', 'application/x-www-form-urlencoded', 'a=b')).toBe(true);
    expect(isCredentialExchange('https://x/api/v3/orgs/o/hooks', null, null)).toBe(false);
  });
});

describe('journal through the HTTP policy', () => {
  let origin = '';
  let hits: string[] = [];
  const server = createServer((req, res) => {
    hits.push(`${req.method} ${req.url}`);
    if (req.url === '/token') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ access_token: 'secret-token-value' }));
      return;
    }
    const etag = `"v-${req.url}"`;
    if (req.headers['if-none-match'] === etag) {
      res.writeHead(304, { etag });
      res.end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json', etag });
    res.end(JSON.stringify({ url: req.url, n: hits.length }));
  });
  beforeAll(async () => {
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  const policy = (journal: ScanJournal) => createHttpPolicy({ exchange: journal.exchangeFor('p:t') }).fetch;
  const sources = [{ source: 'p:t', connector: 'p', config: 'x' }];

  it('replays by occurrence, never journals a token answer, and revalidates after a complete scan', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gs-journal-'));
    hits = [];
    const first = await ScanJournal.open(
      { dir, resume: null },
      { scanId: 1, startedAt: 'x', sources },
      silentLogger,
    );
    const f1 = policy(first);
    const a0 = await (await f1(`${origin}/a`)).json();
    const a1 = await (await f1(`${origin}/a`)).json();
    await (await f1(`${origin}/token`, { method: 'POST', body: '{}' })).json();
    first.close();
    expect(readFileSync(join(dir, '1.ndjson'), 'utf8')).not.toContain('secret-token-value');

    // Resume: both answers to /a come back in order without the network; /b and the token are sent.
    hits = [];
    const resume = readJournal(join(dir, '1.ndjson'))!;
    const second = await ScanJournal.open(
      { dir, resume: { scanId: 1, journal: resume, differences: [] } },
      { scanId: 2, startedAt: 'x', sources },
      silentLogger,
    );
    const f2 = policy(second);
    expect(await (await f2(`${origin}/a`)).json()).toEqual(a0);
    expect(await (await f2(`${origin}/a`)).json()).toEqual(a1);
    const a2 = await (await f2(`${origin}/a`)).json();
    await (await f2(`${origin}/token`, { method: 'POST', body: '{}' })).json();
    expect(hits).toEqual(['GET /a', 'POST /token']);
    expect(second.summary()).toMatchObject({ resumeOf: 1, journaled: 2, replayed: 2, sent: 1 });
    await second.finish('complete');
    expect(readdirSync(dir).filter((f) => f.endsWith('.ndjson'))).toEqual([]);

    // The next scan sends the validator of the newest answer; the 304 is served its cached body.
    hits = [];
    const third = await ScanJournal.open(
      { dir, resume: null },
      { scanId: 3, startedAt: 'x', sources },
      silentLogger,
    );
    const res = await policy(third)(`${origin}/a`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual(a2);
    expect(hits).toEqual(['GET /a']);
    expect(third.summary()).toMatchObject({ notModified: 1, sent: 1 });
    third.close();
  });
});
