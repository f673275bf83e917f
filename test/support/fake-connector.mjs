// A test connector for a made-up platform ("acme-saas"), loaded through `plugins:` exactly as a
// third-party connector package would be. It serves records from a JSON file named in its config, so
// tests can change the "tenant" between scans, and can be told to fail collectors.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { z } from 'zod';

const Config = z
  .object({
    tenant: z.string().min(1),
    /** JSON file: { identities: [...], grants: [...], credentials: [...] } (model inputs minus platform/tenant/collector). */
    recordsFile: z.string().min(1),
    /** Collectors that throw (an ApiError-like failure with an HTTP status). */
    fail: z.array(z.enum(['apps', 'grants', 'credentials'])).default([]),
    /** Throw from the connector itself before any collector runs (bad credentials). */
    failAuth: z.boolean().default(false),
    /** Wait this long before each record (to interrupt a scan mid-way in tests). */
    delayMsPerRecord: z.number().int().min(0).default(0),
  })
  .strict();

const connector = {
  id: 'acme-saas',
  platform: 'acme-saas',
  title: 'Acme SaaS (test connector)',
  configSchema: Config,
  collectors: [
    { name: 'apps', description: 'connected apps' },
    { name: 'grants', description: 'permissions granted to apps' },
    { name: 'credentials', description: 'app secrets' },
  ],
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
  async *scan(config, ctx) {
    if (config.failAuth) throw new Error('401 Unauthorized: bad client secret (test)');
    const data = JSON.parse(readFileSync(resolve(ctx.configDir, config.recordsFile), 'utf8'));
    const base = { platform: 'acme-saas', tenant: { id: config.tenant, name: null } };
    const plan = [
      ['apps', 'identity', data.identities ?? []],
      ['grants', 'grant', data.grants ?? []],
      ['credentials', 'credential', data.credentials ?? []],
    ];
    for (const [collector, type, items] of plan) {
      yield* ctx.coverage.runEach(collector, async function* () {
        ctx.coverage.countRequest(collector);
        // Emit part of the data before failing, like a collector that dies on page 2.
        const cut = config.fail.includes(collector) ? Math.floor(items.length / 2) : items.length;
        for (const item of items.slice(0, cut)) {
          if (config.delayMsPerRecord > 0) await ctx.clock.sleep(config.delayMsPerRecord, ctx.signal);
          yield { ...base, type, collector, ...item };
        }
        if (config.fail.includes(collector)) {
          const err = new Error(`GET /api/${collector} returned 403: missing scope ${collector}:read (test)`);
          throw err;
        }
      });
    }
  },
};

export default connector;
