import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { githubGraphqlSchemaBuilt } from '../src/emulator/github/graphql-schema.js';
import { REALISTIC_LIMITS } from '../src/emulator/limits.js';
import { startEmulator } from '../src/emulator/server.js';

/**
 * Under limits, a request's time in the emulator is the latency modelled: GitHub's GraphQL schema
 * (0.3-0.5 s to build) is built before the emulator serves, not inside the first GraphQL request while
 * every request in the pool waits on it. This file runs in a module graph of its own (the e2e
 * project), so the schema is unbuilt until one of its emulators builds it; the order of the tests
 * matters.
 */
const world = (name: string) => fileURLToPath(new URL(`../fixtures/worlds/test/${name}`, import.meta.url));

describe('the emulator builds what its limits need before it serves', () => {
  it('builds nothing for a GitHub world without limits, nor for a world without GitHub under limits', async () => {
    const plain = await startEmulator({ world: world('github-demo.yaml') });
    await plain.stop();
    const entra = await startEmulator({ world: world('m365-demo.yaml'), limits: REALISTIC_LIMITS });
    await entra.stop();
    expect(githubGraphqlSchemaBuilt()).toBe(false);
  });

  it("builds GitHub's GraphQL schema when it serves a GitHub world under GitHub limits", async () => {
    const emu = await startEmulator({ world: world('github-demo.yaml'), limits: REALISTIC_LIMITS });
    try {
      // Before any request was sent.
      expect(emu.stats().total).toBe(0);
      expect(githubGraphqlSchemaBuilt()).toBe(true);
    } finally {
      await emu.stop();
    }
  });
});
