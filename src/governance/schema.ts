import { z } from 'zod';

/**
 * The governance file (`governance.yaml`, or each `*.yaml` of a governance folder), as written by people
 * and reviewed by pull request. Objects are strict so that a misspelt key is an error, not a decision
 * silently ignored. The published JSON Schema (docs/governance.schema.json) is generated from this.
 */

/** A calendar date, `YYYY-MM-DD` (YAML reads an unquoted date as a string here: see `load.ts`). */
export const IsoDate = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, { error: 'expected a date as YYYY-MM-DD' })
  .refine(
    (s) =>
      !Number.isNaN(Date.parse(`${s}T00:00:00Z`)) && new Date(`${s}T00:00:00Z`).toISOString().startsWith(s),
    {
      error: 'not a calendar date',
    },
  )
  .describe('A date, YYYY-MM-DD');

const Text = z.string().trim().min(1, { error: 'must not be empty' });

export const IdentityMatchSchema = z
  .strictObject({
    platform: Text.optional().describe('Platform id: github, microsoft365, google-workspace (or a plugin’s)'),
    tenant: Text.optional().describe('Org login, Entra tenant id or Google customer id'),
    id: Text.optional().describe('The identity’s native id (exact, case-insensitive)'),
    kind: Text.optional().describe(
      'Identity kind, e.g. github-app-installation, service-principal, oauth-client',
    ),
    publisher: Text.optional().describe(
      'Publisher / vendor name as the platform records it (case-insensitive)',
    ),
    name: Text.optional().describe('Glob over the display name: * any characters, ? one (case-insensitive)'),
  })
  .refine((m) => Object.values(m).some((v) => v !== undefined), {
    error: 'give at least one of platform, tenant, id, kind, publisher, name',
  })
  .refine((m) => m.id === undefined || m.platform !== undefined, {
    error: 'an id is only unique within its platform: give platform with id',
  })
  .describe(
    'Which identities the entry applies to: every key given must match. By platform + native id, or by pattern (publisher, display-name glob, kind)',
  );

const Match = IdentityMatchSchema;

export const PersonAccountSchema = z
  .strictObject({
    platform: Text.describe('Platform the account is on'),
    id: Text.describe('GitHub login, Entra user id or UPN, Google user id or primary email'),
  })
  .describe('The owner’s account on a platform, to tell from the platform whether they have left');

export const OwnerSchema = z
  .strictObject({
    match: Match,
    person: Text.describe('The accountable person'),
    team: Text.optional().describe('Their team'),
    contact: Text.optional().describe('Where to reach them or the team (email, channel)'),
    accounts: z.array(PersonAccountSchema).default([]).describe('The person’s platform accounts'),
  })
  .describe('A named internal owner of the matching identities');

/** An approved permission: a name alone approves any access level; with `access`, up to that level. */
export const ApprovedPermissionSchema = z.union([
  Text.describe('Permission or scope name as the model records it (any access level)'),
  z.strictObject({
    name: Text.describe('Permission or scope name'),
    access: z.enum(['read', 'write', 'admin']).describe('Highest access level approved'),
  }),
]);

export const ApprovalSchema = z
  .strictObject({
    match: Match,
    permissions: z
      .array(ApprovedPermissionSchema)
      .default([])
      .describe('Permissions or scopes approved; any other grant is unapproved-scope'),
    breadth: z
      .enum(['user', 'resource', 'selected', 'all', 'tenant'])
      .optional()
      .describe('Widest target breadth approved (user < resource < selected < all < tenant)'),
    credentialTypes: z
      .array(Text)
      .optional()
      .describe('Credential types approved (client-secret, certificate, service-account-key, …)'),
    maxCredentialLifetimeDays: z
      .number()
      .int()
      .positive()
      .optional()
      .describe('Longest credential lifetime approved, in days (a credential that never expires exceeds it)'),
    approver: Text.describe('Who approved it'),
    reference: Text.optional().describe('Change or ticket reference'),
    date: IsoDate.describe('When it was approved'),
  })
  .describe('The approved baseline of an integration');

export const ExceptionSchema = z
  .strictObject({
    fingerprint: z
      .string()
      .regex(/^[0-9a-f]{16,64}$/i, { error: 'a finding fingerprint is hexadecimal' })
      .optional()
      .describe('The finding’s fingerprint (exactly that finding)'),
    rule: z
      .string()
      .regex(/^[a-z][a-z0-9]*(-[a-z0-9]+)*$/, { error: 'a rule id is kebab-case' })
      .optional()
      .describe('Rule id, with match: that rule’s findings on the matching identities'),
    match: Match.optional(),
    reason: Text.describe('Why the risk is accepted'),
    approver: Text.describe('Who accepted it (a named person)'),
    granted: IsoDate.describe('When the exception was granted'),
    expires: IsoDate.describe('Last day the exception applies'),
  })
  .refine((e) => (e.fingerprint !== undefined) !== (e.rule !== undefined), {
    error: 'give either fingerprint, or rule with match',
  })
  .refine((e) => e.rule === undefined || e.match !== undefined, {
    error: 'an exception by rule needs match (which identities)',
    path: ['match'],
  })
  .refine((e) => e.expires >= e.granted, { error: 'expires is before granted', path: ['expires'] })
  .describe('Accept one finding until a date, with a reason and a named approver');

export const RetiredSchema = z
  .strictObject({
    match: Match,
    name: Text.describe('The vendor or integration, as people call it'),
    date: IsoDate.describe('When it was offboarded'),
    reference: Text.optional().describe('Change or ticket reference'),
  })
  .describe('A vendor or integration offboarded: anything of it still present is retired-still-present');

export const ReviewSchema = z
  .strictObject({
    match: Match,
    decision: z.enum(['keep', 'reduce', 'revoke']),
    reviewer: Text,
    date: IsoDate,
    note: Text.optional(),
    until: IsoDate.optional().describe('For reduce/revoke: when the change is due'),
  })
  .describe('A recertification recorded in the file');

export const GovernanceFileSchema = z
  .strictObject({
    version: z.literal(1, { error: 'governance version must be 1 (the only version this grantscope reads)' }),
    owners: z.array(OwnerSchema).default([]),
    approvals: z.array(ApprovalSchema).default([]),
    exceptions: z.array(ExceptionSchema).default([]),
    retired: z.array(RetiredSchema).default([]),
    reviews: z.array(ReviewSchema).default([]),
  })
  .describe('A grantscope governance file: owners, approvals, exceptions, retired vendors and reviews');
export type GovernanceFile = z.output<typeof GovernanceFileSchema>;
