import { writeFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import github from '../connectors/github/index.js';
import googleWorkspace from '../connectors/google-workspace/index.js';
import microsoft365 from '../connectors/microsoft365/index.js';
import type { AnyConnector } from '../src/connector/connector.js';
import { type RunningEmulator, startEmulator } from '../src/emulator/server.js';
import type { Person } from '../src/model/person.js';
import { demoWorld } from '../src/package-root.js';
import { collectScan, createTestContext } from './support/connector-context.js';

/**
 * Each built-in connector emits the platform's people from what it reads anyway: the same requests as
 * a scan whose collectors emit no people (their transforms removed), and the platform's own status.
 */
describe('people emitted by the built-in connectors (demo world)', () => {
  let emu: RunningEmulator;
  beforeAll(async () => {
    emu = await startEmulator({ world: demoWorld('demo') });
  });
  afterAll(() => emu.stop());

  async function scan(
    connector: AnyConnector,
  ): Promise<{ people: Person[]; requests: number; records: number }> {
    const setup = emu.clientSetup();
    const ctx = await createTestContext({
      connector,
      tenant: connector.id,
      caCert: emu.caCert,
      now: emu.now,
    });
    for (const [name, content] of Object.entries(setup.files))
      await writeFile(`${ctx.configDir}/${name}`, content);
    const { records, people, coverage } = await collectScan(
      connector,
      connector.configSchema.parse(setup.config[connector.id]),
      ctx,
    );
    expect(coverage.collectors.filter((c) => c.status === 'failed')).toEqual([]);
    return {
      people,
      records: records.length,
      requests: coverage.collectors.reduce((n, c) => n + c.requests, 0),
    };
  }

  /** The connector with the people collectors' transforms removed: what it did before people. */
  const withoutPeople = (connector: AnyConnector, names: string[]): AnyConnector => ({
    ...connector,
    collectors: connector.collectors.map((c) =>
      names.includes(c.name) ? { ...c, transform: undefined } : c,
    ),
  });

  const each = [
    { connector: github as AnyConnector, collector: 'members' },
    { connector: googleWorkspace as AnyConnector, collector: 'users' },
    { connector: microsoft365 as AnyConnector, collector: 'owners' },
  ];

  it.each(each.map((e) => [e.connector.id, e] as const))(
    '%s: same requests and inventory as without people',
    async (_id, { connector, collector }) => {
      const withPeople = await scan(connector);
      const before = await scan(withoutPeople(connector, [collector]));
      expect(before.people).toEqual([]);
      expect(withPeople.people.length).toBeGreaterThan(0);
      expect(withPeople.requests).toBe(before.requests);
      expect(withPeople.records).toBe(before.records);
    },
  );

  it('GitHub: every org member, listed completely; former members are not among them', async () => {
    const { people } = await scan(github as AnyConnector);
    expect(people.map((p) => p.name).sort()).toEqual(['alice', 'bob', 'carol', 'dave', 'erin']);
    expect(people.every((p) => p.status === 'active' && p.listing === 'directory')).toBe(true);
    expect(people.find((p) => p.name === 'alice')).toMatchObject({
      nativeId: '101',
      attributes: { role: 'admin' },
    });
  });

  it('Google Workspace: every user with suspended / archived as the Directory API says', async () => {
    const { people } = await scan(googleWorkspace as AnyConnector);
    const by = (email: string) => people.find((p) => p.name === email);
    expect(by('greta.lind@acme.example')).toMatchObject({ status: 'suspended', listing: 'directory' });
    expect(by('ines.costa@acme.example')).toMatchObject({ status: 'archived' });
    expect(by('ana.silva@acme.example')).toMatchObject({ status: 'active', displayName: 'Ana Silva' });
  });

  it('Entra: the user owners read, with accountEnabled, by reference only', async () => {
    const { people } = await scan(microsoft365 as AnyConnector);
    const by = (upn: string) => people.find((p) => p.name === upn);
    expect(by('raj.patel@acme.example')).toMatchObject({
      nativeId: 'df311b65-e0ac-4655-888d-d1c8af152f87',
      status: 'disabled',
      listing: 'reference',
    });
    expect(by('priya.raman@acme.example')).toMatchObject({ status: 'active' });
    expect(people.every((p) => p.listing === 'reference')).toBe(true);
  });
});
