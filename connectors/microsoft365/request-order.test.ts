import { writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConnectorStateTracker } from '../../src/connector/connector-state.js';
import { type RunningEmulator, startEmulator } from '../../src/emulator/server.js';
import {
  collectScan,
  createTestContext,
  recordingAsksAndAnswers,
} from '../../test/support/connector-context.js';
import connector, { Microsoft365Config } from './index.js';

/**
 * A first scan asks first for what the owner reads (most of its requests) wait for: the users delta
 * link (taken before any owner is read), then the service principal list; the application list, needed
 * only once the whole list is read, is asked once the list's first page is in, so that a server
 * answering large pages in turn serves that page first. Order of events, not time. Against the emulator.
 */
const NOW = new Date('2026-11-01T00:00:00Z');
const DEMO = 'fixtures/worlds/test/m365-demo.yaml';

describe('Microsoft Graph first requests of a scan', () => {
  let emu: RunningEmulator;
  beforeAll(async () => {
    emu = await startEmulator({ world: DEMO, now: NOW });
  });
  afterAll(() => emu.stop());

  it('asks the users delta link, then the service principal list, and the application list after its first page', async () => {
    const setup = emu.clientSetup();
    const base = await createTestContext({ connector, tenant: 'm365', caCert: emu.caCert, now: NOW });
    for (const [name, content] of Object.entries(setup.files))
      writeFileSync(`${base.configDir}/${name}`, content);
    const what = (url: string) =>
      /\/users\/delta\?/.test(url)
        ? 'users delta'
        : /\/servicePrincipals\?/.test(url)
          ? 'service principals'
          : /\/applications\?/.test(url)
            ? 'applications'
            : null;
    const { http, events } = recordingAsksAndAnswers(base.http, what);
    // With a store behind the scan (a first scan: no state kept yet), owners are read in full.
    const state = new ConnectorStateTracker('microsoft365:m365', new Map());
    const ctx = { ...base, http, state };
    const r = await collectScan(connector, Microsoft365Config.parse(setup.config.microsoft365), ctx);
    expect(r.coverage.collectors.every((c) => c.status === 'complete')).toBe(true);
    const at = (event: string) => {
      const n = events.indexOf(event);
      expect(n, event).toBeGreaterThanOrEqual(0);
      return n;
    };
    expect(events[0]).toBe('ask users delta');
    expect(at('ask service principals')).toBeLessThan(at('ask applications'));
    expect(at('answered service principals')).toBeLessThan(at('ask applications'));
  });
});
