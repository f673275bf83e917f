/**
 * What `grantscope init` writes: a commented grantscope.yaml with one section per chosen platform,
 * each with placeholders the config loader accepts as they stand (so `grantscope doctor` can run at
 * once and say what is still wrong), and the checklist of what to grant on each platform.
 */
export const INIT_PLATFORMS = ['github', 'microsoft365', 'google-workspace'] as const;
export type InitPlatform = (typeof INIT_PLATFORMS)[number];

export interface StarterAnswers {
  platforms: readonly InitPlatform[];
  /** GitHub organisation login. */
  githubOrg?: string | undefined;
  /** Entra tenant id (GUID). */
  tenantId?: string | undefined;
  /** Google Workspace customer id (C0…) and the admin to impersonate. */
  customerId?: string | undefined;
  subject?: string | undefined;
  /** Whether a policy.yaml is written beside the config (and named in it). */
  policy: boolean;
}

const SECTION: Record<InitPlatform, (a: StarterAnswers) => string> = {
  github: (a) => `
# GitHub: a GitHub App installed on the organisation (recommended; fine-grained token endpoints need it).
# Register it with read-only permissions (grantscope doctor lists each), install it on the org, and
# save its private key beside this file. docs: connectors/github/README.md
github:
  org: ${a.githubOrg ?? 'your-org'}
  app:
    id: 123456                          # the App's id (Settings → Developer settings → GitHub Apps)
    privateKeyFile: github-app.pem      # or privateKeyEnv: GRANTSCOPE_GITHUB_KEY
  # tokenEnv: GITHUB_TOKEN              # instead of app: a classic or fine-grained token
  # appOwners: { renovate: [alice] }    # GitHub records no owner for app installations
`,
  microsoft365: (a) => `
# Microsoft 365 / Entra ID: an app registration with admin-consented application permissions.
# docs: connectors/microsoft365/README.md
microsoft365:
  tenantId: ${a.tenantId ?? '00000000-0000-0000-0000-000000000000'}
  clientId: 00000000-0000-0000-0000-000000000000   # the app registration's Application (client) id
  certificateFile: entra-app.pem        # key + certificate (preferred); or clientSecretFile / clientSecretEnv
`,
  'google-workspace': (a) => `
# Google Workspace: a service account with domain-wide delegation, impersonating a read-only admin.
# docs: connectors/google-workspace/README.md
google-workspace:
  customerId: ${a.customerId ?? 'C00000000'}              # Admin console → Account → Account settings
  subject: ${a.subject ?? 'grantscope-reader@example.com'}   # the admin the scanner acts as
  keyFile: google-sa.json               # the service account's JSON key
`,
};

export function starterConfig(a: StarterAnswers): string {
  return `# grantscope configuration, written by \`grantscope init\`.
# Replace the placeholders, then run \`grantscope doctor\` to check access and \`grantscope scan\` to scan.
# Relative paths are relative to this file. Secrets are referenced (file or environment variable), never inlined.

database: grantscope.db                 # SQLite snapshots of every scan (keep it on a volume)
${a.policy ? 'policy: policy.yaml                     # rule thresholds; see `grantscope rules`\n' : ''}# governance: governance.yaml         # owners, approvals, exceptions (docs/governance.md)
# tls: { caFile: corp-proxy-ca.pem }   # extra CA for a TLS-inspecting proxy
${a.platforms.map((p) => SECTION[p](a)).join('')}`;
}

const CHECKLIST: Record<InitPlatform, string[]> = {
  github: [
    'Register a GitHub App (org Settings → Developer settings → GitHub Apps → New), webhooks off.',
    'Organization permissions, all Read-only: Administration, Members, Webhooks, Personal access tokens, Personal access token requests.',
    'Repository permissions, all Read-only: Administration, Metadata, Webhooks.',
    'Install it on the organisation (all repositories); generate a private key; set app.id and privateKeyFile.',
  ],
  microsoft365: [
    'Entra admin center → App registrations → New registration (single tenant).',
    'API permissions → Microsoft Graph → Application permissions: Application.Read.All, Directory.Read.All, AuditLog.Read.All (User.Read.All is covered by Directory.Read.All).',
    'Grant admin consent for the tenant.',
    'Certificates & secrets → upload a certificate (preferred) or add a client secret; set clientId and the credential.',
  ],
  'google-workspace': [
    'GCP: create a service account and a JSON key; set keyFile.',
    'Admin console → Security → API controls → Domain-wide delegation → add its client id with scopes: https://www.googleapis.com/auth/admin.directory.user.readonly, https://www.googleapis.com/auth/admin.directory.user.security, https://www.googleapis.com/auth/admin.reports.audit.readonly.',
    'Give the subject admin a role with Admin API privileges Users › Read, Security › User security management, Reports.',
    'GCP (optional, for service accounts and keys): grant the service account roles/browser and roles/iam.serviceAccountViewer at the organization.',
  ],
};

const TITLE: Record<InitPlatform, string> = {
  github: 'GitHub',
  microsoft365: 'Microsoft 365',
  'google-workspace': 'Google Workspace',
};

export function grantChecklist(platforms: readonly InitPlatform[]): string {
  return platforms
    .map((p) => `${TITLE[p]}:\n${CHECKLIST[p].map((line) => `  [ ] ${line}`).join('\n')}`)
    .join('\n\n');
}
