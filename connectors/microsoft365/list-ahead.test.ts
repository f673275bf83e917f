import { writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningEmulator, startEmulator } from '../../src/emulator/server.js';
import { createTestContext } from '../../test/support/connector-context.js';
import connector, { Microsoft365Config } from './index.js';
import { DirectoryObjectId } from './schema.js';
import { connect } from './session.js';

/**
 * A list's next page is on its way before the page just read is validated and handed on: the request
 * reaches the transport before the caller's work on the current page starts, so that work overlaps the
 * next round trip. Order of events, not time. Against the emulator.
 */
const NOW = new Date('2026-11-01T00:00:00Z');
const DEMO = 'fixtures/worlds/test/m365-demo.yaml';

describe('Microsoft Graph list paging ahead', () => {
  let emu: RunningEmulator;
  beforeAll(async () => {
    emu = await startEmulator({ world: DEMO, now: NOW });
  });
  afterAll(() => emu.stop());

  it('hands the next page request to the network before the caller works on the current page', async () => {
    const setup = emu.clientSetup();
    const base = await createTestContext({ connector, tenant: 'm365', caCert: emu.caCert, now: NOW });
    for (const [name, content] of Object.entries(setup.files))
      writeFileSync(`${base.configDir}/${name}`, content);
    const events: string[] = [];
    let asked = 0;
    const http = Object.create(base.http, {
      fetch: {
        value: (input: RequestInfo | URL, init?: RequestInit) => {
          const url = String(input instanceof Request ? input.url : input);
          if (url.includes('/servicePrincipals')) events.push(`ask ${++asked}`);
          return base.http.fetch(input, init);
        },
      },
    }) as typeof base.http;
    const s = await connect(Microsoft365Config.parse(setup.config.microsoft365), { ...base, http });
    let pages = 0;
    for await (const page of s.graph.list('/servicePrincipals?$select=id&$top=2', DirectoryObjectId, {
      api: 'GET /servicePrincipals',
      requiredPermission: 'Application.Read.All',
    })) {
      pages += 1;
      expect(page.length).toBeGreaterThan(0);
      // The caller's (synchronous) work on this page.
      events.push(`work ${pages}`);
    }
    expect(pages).toBeGreaterThanOrEqual(3);
    // Page n+1 asked before page n is worked on; the last page has no next.
    const expected = [];
    for (let n = 1; n <= pages; n++) {
      expected.push(`ask ${n}`);
      if (n > 1) expected.push(`work ${n - 1}`);
    }
    expected.push(`work ${pages}`);
    expect(events).toEqual(expected);
  });
});
