import { z } from 'zod';

/**
 * GitHub API responses, parsed at the boundary. Only the fields the connector reads are declared;
 * the rest pass through untouched (GitHub adds fields often). Nullable fields are nullable here
 * exactly as in GitHub's OpenAPI description (2022-11-28).
 */

const Level = z.string();
const PermissionMap = z.record(z.string(), Level);

export const SimpleUser = z.looseObject({
  login: z.string(),
  id: z.number().int(),
  type: z.string().optional(),
});
export type SimpleUser = z.infer<typeof SimpleUser>;

export const Installation = z.looseObject({
  id: z.number().int(),
  app_id: z.number().int(),
  app_slug: z.string(),
  client_id: z.string().optional(),
  account: SimpleUser.nullable(),
  repository_selection: z.enum(['all', 'selected']),
  permissions: PermissionMap,
  events: z.array(z.string()),
  created_at: z.string(),
  updated_at: z.string(),
  suspended_at: z.string().nullable(),
  suspended_by: SimpleUser.nullable(),
  html_url: z.string().optional(),
});
export type Installation = z.infer<typeof Installation>;

export const App = z.looseObject({
  id: z.number().int(),
  slug: z.string().optional(),
  name: z.string(),
  owner: z
    .looseObject({ login: z.string().optional(), slug: z.string().optional(), id: z.number().int() })
    .nullable(),
  description: z.string().nullable(),
  external_url: z.string().nullable().optional(),
  html_url: z.string(),
});
export type App = z.infer<typeof App>;

const PatPermissions = z.looseObject({
  organization: PermissionMap.optional(),
  repository: PermissionMap.optional(),
  other: PermissionMap.optional(),
});

const PatCommon = {
  id: z.number().int(),
  owner: SimpleUser,
  repository_selection: z.enum(['none', 'all', 'subset']),
  repositories_url: z.string(),
  permissions: PatPermissions,
  token_id: z.number().int(),
  token_name: z.string(),
  token_expired: z.boolean(),
  token_expires_at: z.string().nullable(),
  token_last_used_at: z.string().nullable(),
};

export const PatGrant = z.looseObject({ ...PatCommon, access_granted_at: z.string() });
export type PatGrant = z.infer<typeof PatGrant>;
export const PatRequest = z.looseObject({
  ...PatCommon,
  created_at: z.string(),
  reason: z.string().nullable(),
});
export type PatRequest = z.infer<typeof PatRequest>;

/** Repositories are only a work list (their records are not stored): unknown fields are dropped to keep large orgs small. */
export const MinimalRepository = z.object({
  id: z.number().int(),
  name: z.string(),
  full_name: z.string(),
  private: z.boolean(),
  archived: z.boolean().optional(),
  owner: z.object({ login: z.string(), id: z.number().int() }),
});
export type MinimalRepository = z.infer<typeof MinimalRepository>;

export const CredentialAuthorization = z.looseObject({
  login: z.string(),
  credential_id: z.number().int(),
  credential_type: z.string(),
  token_last_eight: z.string().optional(),
  credential_authorized_at: z.string(),
  credential_accessed_at: z.string().nullable(),
  authorized_credential_id: z.number().int().nullable(),
  authorized_credential_title: z.string().nullable().optional(),
  authorized_credential_note: z.string().nullable().optional(),
  authorized_credential_expires_at: z.string().nullable().optional(),
  scopes: z.array(z.string()).optional(),
  fingerprint: z.string().optional(),
});
export type CredentialAuthorization = z.infer<typeof CredentialAuthorization>;

export const DeployKey = z.looseObject({
  id: z.number().int(),
  key: z.string(),
  title: z.string(),
  verified: z.boolean(),
  created_at: z.string(),
  read_only: z.boolean(),
  added_by: z.string().nullable().optional(),
  last_used: z.string().nullable().optional(),
  enabled: z.boolean().optional(),
});
export type DeployKey = z.infer<typeof DeployKey>;

export const Hook = z.looseObject({
  id: z.number().int(),
  name: z.string(),
  active: z.boolean(),
  events: z.array(z.string()),
  config: z.looseObject({
    url: z.string().optional(),
    content_type: z.string().optional(),
    // A string ("0"/"1") on github.com; some GHES versions send a number.
    insecure_ssl: z.union([z.string(), z.number()]).optional(),
    secret: z.string().optional(),
  }),
  created_at: z.string(),
  updated_at: z.string(),
  type: z.string().optional(),
  last_response: z
    .looseObject({
      code: z.number().int().nullable(),
      status: z.string().nullable(),
      message: z.string().nullable(),
    })
    .nullable()
    .optional(),
});
export type Hook = z.infer<typeof Hook>;

/**
 * An organisation audit log event (GHEC, orgs/get-audit-log; `audit-log-event` in ghec.json): the
 * fields read to tell which repository's webhooks changed.
 */
export const AuditLogEvent = z.looseObject({
  '@timestamp': z.number().int(),
  _document_id: z.string(),
  action: z.string(),
  repo: z.string().optional(),
});

export const OrgInstallation = z.looseObject({ id: z.number().int(), app_id: z.number().int() });

/** GraphQL: which repositories have deploy keys (counts only; details come from REST). */
export const DeployKeyCounts = z.record(
  z.string(),
  z
    .looseObject({ nameWithOwner: z.string(), deployKeys: z.looseObject({ totalCount: z.number().int() }) })
    .nullable(),
);

/** `rN: repository(owner:, name:) { nameWithOwner }`: null when the repository does not resolve. */
export const RepositoryPresence = z.record(
  z.string(),
  z.looseObject({ nameWithOwner: z.string() }).nullable(),
);

export const OutsideCollaboratorBatch = z.record(
  z.string(),
  z
    .looseObject({
      nameWithOwner: z.string(),
      collaborators: z
        .looseObject({
          totalCount: z.number().int(),
          pageInfo: z.looseObject({ hasNextPage: z.boolean(), endCursor: z.string().nullable() }),
          edges: z.array(
            z.looseObject({
              permission: z.enum(['ADMIN', 'MAINTAIN', 'WRITE', 'TRIAGE', 'READ']),
              node: z.looseObject({ login: z.string(), databaseId: z.number().int().nullable().optional() }),
            }),
          ),
        })
        .nullable(),
    })
    .nullable(),
);
