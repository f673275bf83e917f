import { z } from 'zod';

const Guid = z
  .string()
  .regex(
    /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i,
    'must be a GUID (Directory (tenant) ID / Application (client) ID)',
  );
const HttpsUrl = z
  .url({ message: 'must be a URL' })
  .refine(
    (u) => u.startsWith('https://'),
    'must be an https:// URL (Entra and Graph tokens are only sent over HTTPS)',
  )
  .transform((u) => u.replace(/\/+$/, ''));

/** Login, Graph and portal hosts of Microsoft's clouds. */
export const CLOUDS = {
  global: {
    authorityHost: 'https://login.microsoftonline.com',
    graphBaseUrl: 'https://graph.microsoft.com',
    portalUrl: 'https://entra.microsoft.com',
  },
  usgov: {
    authorityHost: 'https://login.microsoftonline.us',
    graphBaseUrl: 'https://graph.microsoft.us',
    portalUrl: 'https://portal.azure.us',
  },
  'usgov-dod': {
    authorityHost: 'https://login.microsoftonline.us',
    graphBaseUrl: 'https://dod-graph.microsoft.us',
    portalUrl: 'https://portal.azure.us',
  },
  china: {
    authorityHost: 'https://login.chinacloudapi.cn',
    graphBaseUrl: 'https://microsoftgraph.chinacloudapi.cn',
    portalUrl: 'https://portal.azure.cn',
  },
} as const;

/**
 * The `microsoft365:` section of grantscope.yaml.
 *
 * ```yaml
 * microsoft365:
 *   tenantId: 0c8f4a8e-…            # Directory (tenant) ID
 *   tenantName: Acme Corp           # optional label for reports
 *   clientId: 5b1d0a3c-…            # Application (client) ID of grantscope's app registration
 *   certificateFile: grantscope.pem # PEM with private key + certificate (preferred), or:
 *   # clientSecretFile: secret.txt  # or clientSecretEnv: GRANTSCOPE_M365_SECRET
 *   cloud: global                   # global | usgov | usgov-dod | china; or set the two URLs below
 *   # authorityHost: https://login.microsoftonline.com
 *   # graphBaseUrl: https://graph.microsoft.com
 * ```
 */
export const Microsoft365Config = z
  .object({
    tenantId: Guid,
    tenantName: z.string().min(1).optional(),
    clientId: Guid,
    /** PEM file holding the private key and the certificate registered on the app (relative to grantscope.yaml). */
    certificateFile: z.string().min(1).optional(),
    /** Env var holding the password of an encrypted private key in `certificateFile`. */
    certificatePasswordEnv: z.string().min(1).optional(),
    /** File whose first line is the client secret (relative to grantscope.yaml). */
    clientSecretFile: z.string().min(1).optional(),
    /** Env var holding the client secret. */
    clientSecretEnv: z.string().min(1).optional(),
    cloud: z.enum(['global', 'usgov', 'usgov-dod', 'china']).default('global'),
    authorityHost: HttpsUrl.optional(),
    graphBaseUrl: HttpsUrl.optional(),
    portalUrl: HttpsUrl.optional(),
    /** Extra owner-tenant ids to treat as Microsoft first-party (added to the built-in ones). */
    firstPartyTenantIds: z.array(Guid).default([]),
    /** Read last sign-ins from the beta usage report (needs Entra ID P1/P2 and AuditLog.Read.All). */
    signInActivity: z.boolean().default(true),
    /** `$top` for list calls (Graph's maximum for directory objects is 999). */
    pageSize: z.number().int().min(1).max(999).default(999),
    /**
     * The tenant's resource units per 10 s (Graph throttling-limits, identity and access: 3,500 for
     * under 50 users, 5,000 for 50-500, 8,000 above). The scanner paces itself to it. Unset: the
     * smallest until the scan learns the tenant's user count (`GET /users/$count` once that bucket
     * first makes a request wait, or a user list's `@odata.count`), then the bucket of that size.
     */
    resourceUnitsPer10s: z.number().positive().optional(),
    /**
     * Throttling windows are this many times shorter than Graph's: only for an emulator run with a
     * time scale (`grantscope emulator --limits realistic-x60` writes it). Leave at 1 against Graph.
     */
    quotaTimeScale: z.number().positive().default(1),
  })
  .strict()
  .superRefine((c, ctx) => {
    const sources = (['certificateFile', 'clientSecretFile', 'clientSecretEnv'] as const).filter(
      (k) => c[k] !== undefined,
    );
    if (sources.length !== 1) {
      ctx.addIssue({
        code: 'custom',
        path: sources.length > 1 ? [sources[1]!] : [],
        message:
          sources.length === 0
            ? 'set one credential: certificateFile (preferred), clientSecretFile or clientSecretEnv'
            : `set only one credential, not ${sources.join(' and ')}`,
      });
    }
    if (c.certificatePasswordEnv && !c.certificateFile) {
      ctx.addIssue({
        code: 'custom',
        path: ['certificatePasswordEnv'],
        message: 'only applies with certificateFile',
      });
    }
  });
export type Microsoft365Config = z.infer<typeof Microsoft365Config>;

export interface Endpoints {
  authorityHost: string;
  graphBaseUrl: string;
  portalUrl: string;
  /** `https://graph.microsoft.com/.default` (the resource of the configured Graph endpoint). */
  scope: string;
}

export function endpointsOf(config: Microsoft365Config): Endpoints {
  const cloud = CLOUDS[config.cloud];
  const graphBaseUrl = config.graphBaseUrl ?? cloud.graphBaseUrl;
  return {
    authorityHost: config.authorityHost ?? cloud.authorityHost,
    graphBaseUrl,
    portalUrl: config.portalUrl ?? cloud.portalUrl,
    scope: `${new URL(graphBaseUrl).origin}/.default`,
  };
}
