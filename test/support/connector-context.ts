import pLimit from 'p-limit';
import type { AnyConnector } from '../../src/connector/connector.js';
import {
  type Clock,
  type ConnectorContext,
  NO_PREVIOUS_SNAPSHOT,
  type PreviousSnapshot,
} from '../../src/connector/context.js';
import { type CoverageReport, CoverageTracker } from '../../src/connector/coverage.js';
import { createHttpPolicy, type HttpPolicyOptions } from '../../src/connector/http.js';
import { scanTenant } from '../../src/connector/runner.js';
import { memoryLogger } from '../../src/log/logger.js';
import { silentProgress } from '../../src/log/progress.js';
import type { Person } from '../../src/model/person.js';
import { type ModelRecord, ScanRecord } from '../../src/model/record.js';

export interface TestContextOptions {
  connector: Pick<AnyConnector, 'id' | 'platform' | 'collectors'>;
  tenant: string;
  /** PEM of a CA to trust (the emulator's `caCert`). */
  caCert?: string;
  concurrency?: number;
  /** Fixed time; sleeps are shortened to `sleepScale` of their length (default 0: no waiting). */
  now?: Date;
  sleepScale?: number;
  configDir?: string;
  http?: Omit<HttpPolicyOptions, 'caFile'>;
  /** The tenant's previous snapshot, for connectors that consult it. */
  previous?: PreviousSnapshot;
}

/**
 * A real connector context for tests: real HTTP (trusting the emulator CA), real p-limit, a logger
 * that keeps lines, and a clock whose sleeps can be shortened so retry tests run fast.
 */
export async function createTestContext(options: TestContextOptions): Promise<
  ConnectorContext & {
    logger: ReturnType<typeof memoryLogger>;
    requests: Array<{ url: string; method: string }>;
    sleeps: number[];
  }
> {
  const { mkdtemp, writeFile } = await import('node:fs/promises');
  const dir = options.configDir ?? (await mkdtemp('/tmp/gs-test-'));
  let caFile: string | undefined;
  if (options.caCert) {
    caFile = `${dir}/emulator-ca.pem`;
    await writeFile(caFile, options.caCert);
  }
  const requests: Array<{ url: string; method: string }> = [];
  const sleeps: number[] = [];
  const now = options.now;
  const scale = options.sleepScale ?? 0;
  const clock: Clock = {
    now: () => (now ? new Date(now) : new Date()),
    sleep: async (ms) => {
      sleeps.push(ms);
      if (scale > 0) await new Promise((r) => setTimeout(r, ms * scale));
    },
  };
  const coverage = new CoverageTracker(
    options.connector.id,
    options.connector.platform,
    options.tenant,
    () => new Date(),
    options.connector.collectors.map((c) => c.name),
  );
  const http = createHttpPolicy({
    ...options.http,
    caFile,
    onRequest: (url, method) => {
      requests.push({ url, method });
      coverage.countRequest();
    },
  });
  return {
    logger: memoryLogger('debug'),
    progress: silentProgress,
    limit: pLimit(options.concurrency ?? 8),
    http,
    clock,
    coverage,
    signal: new AbortController().signal,
    configDir: dir,
    previous: options.previous ?? NO_PREVIOUS_SNAPSHOT,
    requests,
    sleeps,
  };
}

/**
 * Run a connector to the end and return its validated records (the inventory's), the people it
 * emitted and its coverage.
 */
export async function collectScan(
  connector: AnyConnector,
  config: unknown,
  ctx: ConnectorContext,
): Promise<{ records: ModelRecord[]; people: Person[]; coverage: CoverageReport }> {
  const records: ModelRecord[] = [];
  const people: Person[] = [];
  for await (const r of scanTenant(connector, config, ctx)) {
    const rec = ScanRecord.parse(r);
    if (rec.type === 'person') people.push(rec);
    else records.push(rec);
  }
  return { records, people, coverage: ctx.coverage.report() };
}

/**
 * `http` with its fetch recording, in order, `ask <name>` when a request goes and `answered <name>` when
 * its answer is in, for the requests `name(url)` names (null: not recorded). For tests of request order.
 */
export function recordingAsksAndAnswers<H extends { fetch: typeof globalThis.fetch }>(
  http: H,
  name: (url: string) => string | null,
): { http: H; events: string[] } {
  const events: string[] = [];
  const recording = Object.create(http, {
    fetch: {
      value: async (input: RequestInfo | URL, init?: RequestInit) => {
        const n = name(String(input instanceof Request ? input.url : input));
        if (n) events.push(`ask ${n}`);
        const response = await http.fetch(input, init);
        if (n) events.push(`answered ${n}`);
        return response;
      },
    },
  }) as H;
  return { http: recording, events };
}
