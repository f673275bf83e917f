import { z } from 'zod';

/**
 * The `google-workspace:` section of grantscope.yaml.
 *
 * ```yaml
 * google-workspace:
 *   customerId: C03acme01                 # Admin console → Account → Account settings → Customer ID
 *   domain: acme.example                  # label only
 *   subject: it-admin@acme.example        # the admin the service account impersonates (domain-wide delegation)
 *   keyFile: keys/grantscope-sa.json      # service-account key file, relative to this file; never inline the key
 *   # apiRoot: https://private.googleapis.example/   # one root for every Google API (emulator, private endpoint)
 *   # tokenUri: https://oauth2.example/token         # default: the key file's token_uri
 *   # directoryQuotaPerMinute: 2400       # Admin SDK Directory quota of the impersonated admin
 *   # auditWindowDays: 180                # how far back the Reports API is read (Google keeps ~6 months)
 * ```
 */
export const GoogleWorkspaceConfig = z.strictObject({
  customerId: z
    .string()
    .regex(/^C[0-9a-z]{5,}$/i, 'expected the customer id from the Admin console (C0…), not my_customer'),
  domain: z.string().min(3).optional(),
  subject: z.email('expected the email of the admin to impersonate'),
  keyFile: z.string().min(1, 'path of the service-account key file (JSON)'),
  /** https only: API calls carry bearer tokens. */
  apiRoot: z
    .url({
      protocol: /^https$/,
      message: 'must be an https:// URL (Google access tokens are only sent over HTTPS)',
    })
    .optional(),
  /** https only: token requests carry the signed JWT assertion. */
  tokenUri: z
    .url({
      protocol: /^https$/,
      message: 'must be an https:// URL (the signed JWT assertion is only sent over HTTPS)',
    })
    .optional(),
  /** Client-side pacing of Directory API calls (users.list, tokens.list), per minute. */
  directoryQuotaPerMinute: z.number().int().positive().default(2400),
  /** Optional pacing of Reports API calls, per minute (Google does not publish a fixed figure). */
  reportsQuotaPerMinute: z.number().int().positive().optional(),
  /**
   * Quota minutes are this many times shorter than Google's: only for an emulator run with a time
   * scale (`grantscope emulator --limits realistic-x60` writes it). Leave at 1 against Google.
   */
  quotaTimeScale: z.number().positive().default(1),
  auditWindowDays: z.number().int().min(1).max(180).default(180),
  /** Resource Manager `projects:search` query selecting the projects whose service accounts are listed. */
  projectQuery: z.string().default('state:ACTIVE'),
  /** OAuth client ids of the organisation's own apps (origin `internal`). */
  internalClientIds: z.array(z.string().min(1)).default([]),
  /** Extra OAuth client ids to treat as Google first-party (origin `platform`). */
  firstPartyClientIds: z.array(z.string().min(1)).default([]),
});
export type GoogleWorkspaceConfig = z.infer<typeof GoogleWorkspaceConfig>;
export type GoogleWorkspaceConfigInput = z.input<typeof GoogleWorkspaceConfig>;
