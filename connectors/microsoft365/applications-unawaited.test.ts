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
 * The application list, read by the service principal collector for two of its dependents (the app
 * registrations' credentials and owners), does not hold up the dependents that do not read it: the
 * delegated grants and app role assignments start while it is still on its way. Order of events, not
 * time: the list is answered late (emulator latency), and the other dependents ask first.
 */
const NOW = new Date('2026-11-01T00:00:00Z');
const DEMO = 'fixtures/worlds/test/m365-demo.yaml';

describe('the application list and the collectors that do not read it', () => {
  let emu: RunningEmulator;
  beforeAll(async () => {
    emu = await startEmulator({ world: DEMO, now: NOW });
  });
  afterAll(() => emu.stop());

  it('delegated grants and app role assignments are asked before the application list is answered', async () => {
    emu.faults.add({
      service: 'graph',
      method: 'GET',
      path: '/v1.0/applications',
      action: { kind: 'latency', ms: 1500 },
    });
    const setup = emu.clientSetup();
    const base = await createTestContext({ connector, tenant: 'm365', caCert: emu.caCert, now: NOW });
    for (const [name, content] of Object.entries(setup.files))
      writeFileSync(`${base.configDir}/${name}`, content);
    const what = (url: string) =>
      /\/applications\?/.test(url)
        ? 'applications'
        : /\/oauth2PermissionGrants/.test(url)
          ? 'grants'
          : /\/\$batch/.test(url)
            ? 'batch'
            : null;
    const { http, events } = recordingAsksAndAnswers(base.http, what);
    const state = new ConnectorStateTracker('microsoft365:m365', new Map());
    const r = await collectScan(connector, Microsoft365Config.parse(setup.config.microsoft365), {
      ...base,
      http,
      state,
    });
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
