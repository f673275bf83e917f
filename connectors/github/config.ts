import { z } from 'zod';

/**
 * The `github:` section of grantscope.yaml.
 *
 * ```yaml
 * github:
 *   org: acme-corp
 *   # baseUrl: https://ghe.example.com/api/v3     # GitHub Enterprise Server (default: api.github.com)
 *   app:                                           # recommended; required for fine-grained PAT endpoints
 *     id: 123456
 *     installationId: 7890123                      # optional: looked up from the org otherwise
 *     privateKeyFile: keys/grantscope.pem          # or privateKeyEnv: GRANTSCOPE_GITHUB_KEY
 *   # tokenEnv: GITHUB_TOKEN                       # instead of app: a classic/fine-grained token
 *   appOwners:                                     # GitHub has no owner field for installations
 *     renovate: [bob]
 *   rateLimit: { reserve: 200, maxWaitSeconds: 120 }
 * ```
 *
 * Secrets are referenced, never inlined: the key by file or env var name, the token by env var name.
 */
const EnvName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an environment variable name');

export const GithubAppConfig = z
  .object({
    /** App id (or client id, which GitHub also accepts as JWT issuer). */
    id: z.union([z.number().int().positive(), z.string().min(1)]),
    installationId: z.number().int().positive().optional(),
    /** PEM file (PKCS#8 or PKCS#1); relative paths are resolved against the config file's directory. */
    privateKeyFile: z.string().min(1).optional(),
    /** Name of an environment variable holding the PEM. */
    privateKeyEnv: EnvName.optional(),
  })
  .strict()
  .refine((a) => (a.privateKeyFile == null) !== (a.privateKeyEnv == null), {
    message: 'set exactly one of privateKeyFile or privateKeyEnv',
  });

export const GithubConfig = z
  .object({
    /** Organisation login. */
    org: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9-]*$/, 'must be an organisation login'),
    /**
     * REST base URL: https://api.github.com, or https://HOST/api/v3 for GitHub Enterprise Server.
     * https only: every request carries the app's JWT or an installation token.
     */
    baseUrl: z
      .url({
        protocol: /^https$/,
        message: 'must be an https:// URL (GitHub tokens and app JWTs are only sent over HTTPS)',
      })
      .default('https://api.github.com')
      .transform((u) => u.replace(/\/+$/, '')),
    /** Web UI base for links to settings pages; derived from baseUrl when omitted. */
    webUrl: z.url({ protocol: /^https?$/ }).optional(),
    app: GithubAppConfig.optional(),
    /** Environment variable holding a token (classic PAT, fine-grained PAT or OAuth token). */
    tokenEnv: EnvName.optional(),
    /** Owners of app installations, by app slug: GitHub does not record who owns or installed an app. */
    appOwners: z.record(z.string(), z.array(z.string().min(1))).default({}),
    rateLimit: z
      .object({
        /** Stop (and report the rest as not reached) when fewer requests than this remain. */
        reserve: z.number().int().nonnegative().default(100),
        /** Longest wait for a rate-limit reset or Retry-After before giving up on a request. */
        maxWaitSeconds: z.number().nonnegative().default(120),
        /**
         * GitHub's secondary limits, which no header reports (docs rest/using-the-rest-api/
         * rate-limits-for-the-rest-api, "About secondary rate limits"): "No more than 900 points per
         * minute are allowed for REST API endpoints, and no more than 2,000 points per minute for the
         * GraphQL API endpoint". The scanner paces itself to them.
         */
        secondaryRestPointsPerMinute: z.number().int().positive().default(900),
        secondaryGraphqlPointsPerMinute: z.number().int().positive().default(2000),
        /**
         * Quota windows are this many times shorter than GitHub's: only for an emulator run with a time
         * scale (`grantscope emulator --limits realistic-x60` writes it). Leave at 1 against GitHub.
         */
        timeScale: z.number().positive().default(1),
      })
      .strict()
      .default({
        reserve: 100,
        maxWaitSeconds: 120,
        secondaryRestPointsPerMinute: 900,
        secondaryGraphqlPointsPerMinute: 2000,
        timeScale: 1,
      }),
    /**
     * Collectors fetching at once while the rate budget is ample (they share the one request limit
     * of `settings.concurrency` and the secondary-limit pacing). While the budget is unknown or tight
     * they take turns in declaration order whatever this says (collector-turns.ts), so that a budget
     * that runs out covers whole collectors and names the others "not reached". 1 keeps them in turn
     * always (the default). More than 1 keeps the connection pool busier while GitHub's limits have
     * room (the emulator's realistic limits hand out 4). Not yet the default: when a collector fails
     * in a way that stops the tenant (unreachable, 401), others already let in by their turn may still
     * send a request before the runner stops them, and faults timed on the order of requests (a
     * repository deleted between two reads) then land elsewhere; child-lists, token-renewal and
     * unreachable tests show it.
     */
    collectorConcurrency: z.number().int().min(1).max(10).default(1),
    /** Repositories per GraphQL query (deploy-key and collaborator lookups). */
    graphqlBatchSize: z.number().int().min(1).max(100).default(100),
  })
  .strict()
  .refine((c) => (c.app == null) !== (c.tokenEnv == null), {
    message: 'set exactly one of app (GitHub App, recommended) or tokenEnv',
    path: ['app'],
  });
export type GithubConfig = z.infer<typeof GithubConfig>;
export type GithubConfigInput = z.input<typeof GithubConfig>;

/** Where settings pages live: github.com for the public API, the GHES host otherwise. */
export function webBaseOf(config: Pick<GithubConfig, 'baseUrl' | 'webUrl'>): string {
  if (config.webUrl) return config.webUrl.replace(/\/+$/, '');
  const u = new URL(config.baseUrl);
  if (u.hostname === 'api.github.com') return 'https://github.com';
  if (u.hostname.startsWith('api.') && u.hostname.endsWith('.ghe.com'))
    return `https://${u.hostname.slice(4)}`;
  return `${u.origin}${u.pathname.replace(/\/api\/v3$/, '')}`;
}
