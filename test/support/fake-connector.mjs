// A test connector for a made-up platform ("acme-saas"), loaded through `plugins:` exactly as a
// third-party connector package would be. It serves records from a JSON file named in its config, so
// tests can change the "tenant" between scans, and can be told to fail collectors.
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { z } from 'zod';

const Config = z
  .object({
    tenant: z.string().min(1),
    /** JSON file: { identities: [...], grants: [...], credentials: [...] } (model inputs minus platform/tenant/collector). */
    recordsFile: z.string().min(1),
    /** Collectors that throw (an ApiError-like failure with an HTTP status). */
    fail: z.array(z.enum(['apps', 'grants', 'credentials'])).default([]),
    /** The HTTP status the failing collectors fail with (403: a missing scope; 503: the service is down). */
    failStatus: z.number().int().min(400).max(599).default(403),
    /** Throw from the connector itself before any collector runs (bad credentials). */
    failAuth: z.boolean().default(false),
    /** Wait this long before each record (to interrupt a scan mid-way in tests). */
    delayMsPerRecord: z.number().int().min(0).default(0),
    /**
     * Hold each record until this file (relative to the config) exists: a scan that runs exactly as long
     * as the test needs it running, where a fixed delay would have to guess how slow the machine is.
     */
    holdUntilFile: z.string().min(1).optional(),
  })
  .strict();

/**
 * A collector of the fake platform: reads one list of the records file and emits it. One that is told
 * to fail reads half its list and then fails, like a collector that dies on page 2: the runner keeps
 * what was read (PartialFailure's contract, spelled out here without importing the engine).
 */
function collector(name, type, field, description, permission) {
  return {
    name,
    description,
    permissions: [permission],
    async fetch(session, run) {
      const { config, data } = session;
      run.ctx.coverage.countRequest(name);
      const items = data[field] ?? [];
      const fails = config.fail.includes(name);
      const cut = fails ? Math.floor(items.length / 2) : items.length;
      const read = [];
      for (const item of items.slice(0, cut)) {
        if (config.delayMsPerRecord > 0) await run.ctx.clock.sleep(config.delayMsPerRecord, run.ctx.signal);
        if (config.holdUntilFile) {
          const gate = resolve(session.configDir, config.holdUntilFile);
          while (!existsSync(gate)) await run.ctx.clock.sleep(50, run.ctx.signal);
        }
        read.push(item);
      }
      if (fails) {
        const error = Object.assign(
          new Error(
            config.failStatus === 403
              ? `GET /api/${name} returned 403: missing scope ${name}:read (test)`
              : `GET /api/${name} returned ${config.failStatus}: service unavailable (test)`,
          ),
          { status: config.failStatus },
        );
        throw Object.assign(new Error(error.message), { name: 'PartialFailure', error, partial: read });
      }
      return read;
    },
    transform(items, session) {
      const base = { platform: 'acme-saas', tenant: { id: session.config.tenant, name: null } };
      return items.map((item) => ({ ...base, type, collector: name, ...item }));
    },
  };
}

const connector = {
  id: 'acme-saas',
  platform: 'acme-saas',
  title: 'Acme SaaS (test connector)',
  configSchema: Config,
  // Its own words and the rule settings that suit it, as a fourth platform's plugin brings them.
  vocabulary: {
    identityKinds: {
      'oauth-app': { label: 'Acme OAuth app' },
      'acme-bot': { label: 'Acme bot user' },
    },
    credentialTypes: { 'api-key': { label: 'Acme API key' } },
    policyDefaults: {
      // A bot user belongs to the workspace, not to a person.
      ownerless: { excludeKinds: ['acme-bot'] },
      // Acme API keys are meant to be rotated monthly.
      'credential-hygiene': { maxLifetimeDays: { 'api-key': 30 } },
    },
  },
  tenantOf: (config) => config.tenant,
  async connect(config, ctx) {
    if (config.failAuth) throw new Error('401 Unauthorized: bad client secret (test)');
    return {
      config,
      configDir: ctx.configDir,
      data: JSON.parse(readFileSync(resolve(ctx.configDir, config.recordsFile), 'utf8')),
    };
  },
  // One at a time, in this order, as the records file lists them.
  concurrency: 1,
  collectors: [
    collector('apps', 'identity', 'identities', 'Connected apps', 'apps:read'),
    collector('grants', 'grant', 'grants', 'Permissions granted to apps', 'grants:read'),
    collector('credentials', 'credential', 'credentials', 'App secrets', 'credentials:read'),
  ],
};

export default connector;
