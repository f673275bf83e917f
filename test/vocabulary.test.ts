import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadConnectors, loadVocabulary } from '../src/connector/registry.js';
import { combineVocabularies, type Vocabulary } from '../src/connector/vocabulary.js';
import { ConfigError } from '../src/errors.js';
import { defaultPolicy, parsePolicy } from '../src/policy/index.js';
import { evaluateRules } from '../src/rules/index.js';
import { FAKE_CONNECTOR, ROOT, runCli, tempDir, writeFakeSetup } from './support/cli.js';
import { bundle, credential, identity } from './support/records.js';
import { AS_OF } from './support/rules.js';

/**
 * Each connector brings its own vocabulary: the labels of its kinds and credential types, and the rule
 * settings that suit its platform. Proven with the test connector (a fourth platform loaded as a plugin),
 * with and without a vocabulary, in the engine and through the built CLI.
 */

const DAY = 86_400_000;
const iso = (ms: number) => new Date(ms).toISOString();

/** A copy of the test connector without its vocabulary, as an older plugin would be. */
function pluginWithoutVocabulary(): string {
  const file = join(tempDir('gs-vocab-'), 'bare-connector.mjs');
  writeFileSync(
    file,
    `import c from ${JSON.stringify(pathToFileURL(FAKE_CONNECTOR).href)};\n` +
      'const { vocabulary, ...bare } = c;\nexport default bare;\n',
  );
  return file;
}

/** An Acme app holding an API key valid for 40 days, and a never-expiring key of a type nobody labels. */
function acmeApp() {
  const app = identity({
    platform: 'acme-saas',
    tenant: { id: 't1', name: null },
    kind: 'oauth-app',
    nativeId: 'app-1',
    displayName: 'CRM Sync',
    manageUrl: null,
    collector: 'apps',
  });
  const key = (credentialType: string, nativeId: string, expiresAt: string | null) =>
    credential({
      platform: 'acme-saas',
      tenant: { id: 't1', name: null },
      identity: { kind: 'oauth-app', nativeId: 'app-1' },
      credentialType,
      nativeId,
      displayName: null,
      createdAt: iso(AS_OF.getTime() - 5 * DAY),
      expiresAt,
      collector: 'credentials',
    });
  return bundle(
    app,
    [],
    [key('api-key', 'k1', iso(AS_OF.getTime() + 35 * DAY)), key('signing-key', 'k2', null)],
  );
}

async function hygieneTitles(vocabulary: Vocabulary): Promise<string[]> {
  const drafts = await evaluateRules({
    bundles: [acmeApp()],
    diff: null,
    policy: defaultPolicy(vocabulary),
    asOf: AS_OF,
    vocabulary,
  });
  return drafts
    .filter((d) => d.rule === 'credential-hygiene')
    .map((d) => d.title)
    .sort();
}

describe('a fourth platform with a vocabulary', () => {
  let vocabulary: Vocabulary;
  beforeAll(async () => {
    vocabulary = await loadVocabulary([FAKE_CONNECTOR]);
  });

  it('is known by its platform, after the built-in ones', () => {
    expect(vocabulary.platforms).toEqual(['github', 'microsoft365', 'google-workspace', 'acme-saas']);
    expect(vocabulary.identityKinds.get('oauth-app')).toBe('Acme OAuth app');
    expect(vocabulary.identityKinds.get('service-principal')).toBe('service principal');
  });

  it('names its kinds and credential types in findings, and its policy defaults apply', async () => {
    expect(await hygieneTitles(vocabulary)).toEqual([
      'Acme API key k1 of "CRM Sync" (Acme OAuth app) is valid for 40 days (policy maximum 30)',
      'Signing key k2 of "CRM Sync" (Acme OAuth app) never expires',
    ]);
  });

  it("adds its defaults to the built-in connectors' defaults, under the user's policy file", () => {
    const policy = defaultPolicy(vocabulary);
    expect(policy.rules.ownerless.excludeKinds).toEqual(['webhook', 'outside-collaborator', 'acme-bot']);
    expect(policy.rules['credential-hygiene'].maxLifetimeDays).toMatchObject({
      'api-key': 30,
      'client-secret': 180,
      default: 366,
    });
    const mine = parsePolicy(
      {
        file: 'policy.yaml',
        text: [
          'version: 1',
          'rules:',
          '  ownerless:',
          '    excludeKinds: [webhook]',
          '  credential-hygiene:',
          '    maxLifetimeDays:',
          '      api-key: 60',
          '',
        ].join('\n'),
      },
      vocabulary,
    );
    // A list the user gives replaces the defaults; a map is merged over them.
    expect(mine.rules.ownerless.excludeKinds).toEqual(['webhook']);
    expect(mine.rules['credential-hygiene'].maxLifetimeDays).toMatchObject({
      'api-key': 60,
      'client-secret': 180,
    });
  });
});

describe('a fourth platform without a vocabulary', () => {
  it('still loads; its kinds print as their ids and the rules keep their own defaults', async () => {
    const vocabulary = await loadVocabulary([pluginWithoutVocabulary()]);
    expect(vocabulary.platforms.at(-1)).toBe('acme-saas');
    expect(vocabulary.identityKinds.has('oauth-app')).toBe(false);
    expect(defaultPolicy(vocabulary).rules.ownerless.excludeKinds).toEqual([
      'webhook',
      'outside-collaborator',
    ]);
    // 40 days is within the 366-day default for a type no connector sets.
    expect(await hygieneTitles(vocabulary)).toEqual([
      'Signing key k2 of "CRM Sync" (oauth app) never expires',
    ]);
  });
});

describe('a plugin vocabulary that is wrong', () => {
  async function pluginWith(vocabularySource: string): Promise<string> {
    const file = join(tempDir('gs-vocab-'), 'wrong-connector.mjs');
    writeFileSync(
      file,
      `import c from ${JSON.stringify(pathToFileURL(FAKE_CONNECTOR).href)};\n` +
        `export default { ...c, vocabulary: ${vocabularySource} };\n`,
    );
    return file;
  }

  it('is a config error naming the plugin and the key', async () => {
    const file = await pluginWith("{ identityKinds: { 'oauth-app': 'Acme app' }, credentialTypes: {} }");
    const err = await loadVocabulary([file]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).message).toContain(
      `plugin '${file}' has an invalid vocabulary: vocabulary.identityKinds.oauth-app:`,
    );
  });

  it('policy defaults the rules reject are a config error naming the connector', async () => {
    const file = await pluginWith(
      "{ identityKinds: {}, credentialTypes: {}, policyDefaults: { ownerless: { excludeKinds: 'acme-bot' }, staleness: {} } }",
    );
    const vocabulary = await loadVocabulary([file]);
    let err: unknown;
    try {
      defaultPolicy(vocabulary);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).issues.map((i) => i.path)).toEqual([
      'vocabulary.policyDefaults.ownerless.excludeKinds',
      'vocabulary.policyDefaults.staleness',
    ]);
    expect((err as ConfigError).message).toMatch(/^connector 'acme-saas': invalid configuration/);
  });
});

describe('the built-in connectors', () => {
  it("vocabularies loaded without the SDKs are the connectors' own", async () => {
    expect(await loadVocabulary()).toEqual(combineVocabularies(await loadConnectors()));
  });

  it('name in their policy defaults only the kinds and credential types they label', async () => {
    for (const c of await loadConnectors()) {
      const v = c.vocabulary!;
      const d = (v.policyDefaults ?? {}) as {
        ownerless?: { excludeKinds?: string[] };
        'credential-hygiene'?: {
          maxLifetimeDays?: Record<string, number>;
          problemSeverity?: { noExpiry?: Record<string, string> };
        };
      };
      const hygiene = d['credential-hygiene'];
      for (const kind of d.ownerless?.excludeKinds ?? [])
        expect(v.identityKinds, c.id).toHaveProperty([kind]);
      for (const type of [
        ...Object.keys(hygiene?.maxLifetimeDays ?? {}),
        ...Object.keys(hygiene?.problemSeverity?.noExpiry ?? {}),
      ])
        expect(v.credentialTypes, c.id).toHaveProperty([type]);
    }
  });
});

describe('the CLI with a fourth platform', () => {
  let dir: string;
  beforeAll(async () => {
    dir = tempDir();
    const ago = (days: number) => new Date(Date.now() - days * DAY).toISOString().replace(/\.\d+Z$/, 'Z');
    writeFakeSetup(dir, {
      identities: [{ kind: 'oauth-app', nativeId: 'app-1', displayName: 'CRM Sync', owners: [] }],
      credentials: [
        {
          identity: { kind: 'oauth-app', nativeId: 'app-1' },
          credentialType: 'api-key',
          nativeId: 'k1',
          createdAt: ago(10),
          expiresAt: null,
        },
      ],
    });
    const r = await runCli(['scan', '--format', 'json'], { cwd: dir });
    expect(r.code).toBe(0);
  });

  it('findings use its labels', async () => {
    const r = await runCli(['findings', '--format', 'json'], { cwd: dir });
    expect(r.code).toBe(0);
    const titles = (JSON.parse(r.stdout) as { title: string }[]).map((f) => f.title).sort();
    expect(titles).toEqual([
      '"CRM Sync" (Acme OAuth app) has no owner',
      'Acme API key k1 of "CRM Sync" (Acme OAuth app) never expires',
    ]);
  });

  it('`rules` shows its defaults, and the policy schema says so too', async () => {
    const r = await runCli(['rules', '--format', 'json'], { cwd: dir });
    const rules = JSON.parse(r.stdout) as {
      id: string;
      defaults: Record<string, unknown>;
      policySchema: { properties: Record<string, { default?: unknown }> };
    }[];
    const ownerless = rules.find((x) => x.id === 'ownerless')!;
    expect(ownerless.defaults.excludeKinds).toEqual(['webhook', 'outside-collaborator', 'acme-bot']);
    expect(ownerless.policySchema.properties.excludeKinds!.default).toEqual(ownerless.defaults.excludeKinds);
    const hygiene = rules.find((x) => x.id === 'credential-hygiene')!;
    expect(hygiene.defaults.maxLifetimeDays).toMatchObject({ 'api-key': 30 });
  });

  it('inventory knows its kinds and platform before the snapshot holds them', async () => {
    const bot = await runCli(['inventory', '--kind', 'acme-bot', '--format', 'json'], { cwd: dir });
    expect(bot.code).toBe(0);
    expect(JSON.parse(bot.stdout)).toEqual([]);
    const typo = await runCli(['inventory', '--platform', 'acme-sass'], { cwd: dir });
    expect(typo.code).toBe(2);
    expect(typo.stderr).toContain(
      "--platform: unknown platform 'acme-sass' (known: github, microsoft365, google-workspace, acme-saas)",
    );
  });

  it('without a config, inventory knows the built-in platforms', async () => {
    const elsewhere = tempDir();
    const r = await runCli(['inventory', '--db', join(dir, 'grantscope.db'), '--platform', 'slack'], {
      cwd: elsewhere,
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      "--platform: unknown platform 'slack' (known: github, microsoft365, google-workspace)",
    );
  });

  it("commands that read the store load the connectors' vocabularies, never their SDKs", async () => {
    for (const args of [['findings'], ['rules'], ['findings', '--help']]) {
      const log = join(tempDir(), 'modules.log');
      writeFileSync(log, '');
      const r = await runCli(args, {
        cwd: dir,
        env: {
          NODE_OPTIONS: `--import ${pathToFileURL(join(ROOT, 'test', 'support', 'module-log.mjs')).href}`,
          GRANTSCOPE_MODULE_LOG: log,
        },
      });
      expect(r.code, args.join(' ')).toBe(0);
      const loaded = readFileSync(log, 'utf8').split('\n').filter(Boolean);
      expect(loaded.length, args.join(' ')).toBeGreaterThan(50);
      expect(
        loaded.filter((url) => /@octokit|@azure|@microsoft|googleapis|google-auth-library|gaxios/.test(url)),
        args.join(' '),
      ).toEqual([]);
      expect(
        loaded.filter((url) => /\/connectors\/[^/]+\/(index|client|collectors)/.test(url)),
        args.join(' '),
      ).toEqual([]);
      if (args[1] !== '--help')
        expect(loaded.filter((url) => /\/connectors\/[^/]+\/risk\.js$/.test(url))).toHaveLength(3);
    }
  });
});
