import { writeFileSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ConnectorStateTracker } from '../../src/connector/connector-state.js';
import { type RunningEmulator, startEmulator } from '../../src/emulator/server.js';
import {
  collectScan,
  createTestContext,
  recordingAsksAndAnswers,
} from '../../test/support/connector-context.js';
import connector, { Microsoft365Config } from './index.js';

/**
 * The order of a first scan's Graph requests, against the emulator. Order of events, not time.
 */
const NOW = new Date('2026-11-01T00:00:00Z');
const DEMO = 'fixtures/worlds/test/m365-demo.yaml';

let emu: RunningEmulator;
beforeAll(async () => {
  emu = await startEmulator({ world: DEMO, now: NOW });
});
afterEach(() => emu.faults.clear());
afterAll(() => emu.stop());

/** A first scan (a store behind it, no state kept yet: owners are read in full), its asks and answers named by `what`. */
async function firstScan(what: (url: string) => string | null) {
  const setup = emu.clientSetup();
  const base = await createTestContext({ connector, tenant: 'm365', caCert: emu.caCert, now: NOW });
  for (const [name, content] of Object.entries(setup.files))
    writeFileSync(`${base.configDir}/${name}`, content);
  const { http, events } = recordingAsksAndAnswers(base.http, what);
  const state = new ConnectorStateTracker('microsoft365:m365', new Map());
  const r = await collectScan(connector, Microsoft365Config.parse(setup.config.microsoft365), {
    ...base,
    http,
    state,
  });
  return { r, events };
}

/**
 * A first scan asks first for what the owner reads (most of its requests) wait for: the users delta
 * link (taken before any owner is read), then the service principal list; the application list, needed
 * only once the whole list is read, is asked once the list's first page is in, so that a server
 * answering large pages in turn serves that page first.
 */
describe('Microsoft Graph first requests of a scan', () => {
  it('asks the users delta link, then the service principal list, and the application list after its first page', async () => {
    const { r, events } = await firstScan((url) =>
      /\/users\/delta\?/.test(url)
        ? 'users delta'
        : /\/servicePrincipals\?/.test(url)
          ? 'service principals'
          : /\/applications\?/.test(url)
            ? 'applications'
            : null,
    );
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

/**
 * The application list, read by the service principal collector for two of its dependents (the app
 * registrations' credentials and owners), does not hold up the dependents that do not read it: the
 * delegated grants and app role assignments start while it is still on its way. The list is answered
 * late (emulator latency), and the other dependents ask first.
 */
describe('the application list and the collectors that do not read it', () => {
  it('delegated grants and app role assignments are asked before the application list is answered', async () => {
    emu.faults.add({
      service: 'graph',
      method: 'GET',
      path: '/v1.0/applications',
      action: { kind: 'latency', ms: 1500 },
    });
    const { r, events } = await firstScan((url) =>
      /\/applications\?/.test(url)
        ? 'applications'
        : /\/oauth2PermissionGrants/.test(url)
          ? 'grants'
          : /\/\$batch/.test(url)
            ? 'batch'
            : null,
    );
    expect(r.coverage.collectors.every((c) => c.status === 'complete')).toBe(true);
    const answered = events.indexOf('answered applications');
    expect(answered).toBeGreaterThan(0);
    expect(events.indexOf('ask grants')).toBeGreaterThanOrEqual(0);
    expect(events.indexOf('ask grants')).toBeLessThan(answered);
    // The app role assignments are read per resource in $batch posts (as are owners, on a first scan).
    expect(events.slice(0, answered)).toContain('ask batch');
    // The credentials still come from the list, once it is in.
    expect(r.records.some((x) => x.type === 'credential')).toBe(true);
  });
});
