import { z } from 'zod';
import { SinkCommon } from '../../config.js';

/**
 * A Jira Cloud sink's own settings in `tickets.sinks[]` of grantscope.yaml (the shared keys: name,
 * type, group, minSeverity, rules belong to the lifecycle). The API token is referenced by file or
 * environment variable, never written inline.
 *
 * ```yaml
 * - name: security-jira
 *   type: jira
 *   baseUrl: https://example.atlassian.net
 *   email: grantscope-bot@example.com
 *   apiTokenEnv: JIRA_API_TOKEN        # or apiTokenFile: secrets/jira-token
 *   project: SEC
 *   issueType: Task
 *   labels: [grantscope, third-party-access]
 *   priorities: { critical: Highest, high: High, medium: Medium, low: Low }
 *   transitions: { close: Done, reopen: To Do }
 * ```
 */
export const JIRA_DEFAULT_TRANSITIONS = { close: 'Done', reopen: 'To Do' } as const;

const priorityName = z.string().min(1).max(60);

export const jiraSettingsShape = {
  /** The site, e.g. https://example.atlassian.net (https only: basic auth must not travel in clear). */
  baseUrl: z
    .url({
      protocol: /^https$/,
      error: 'an https:// URL of the Jira site, e.g. https://example.atlassian.net',
    })
    .transform((u) => u.replace(/\/+$/, '')),
  /** The Atlassian account's email: the user part of basic auth. */
  email: z.email(),
  apiTokenFile: z.string().min(1).optional(),
  apiTokenEnv: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an environment variable name')
    .optional(),
  apiToken: z
    .never({
      error:
        'secrets are never written inline: use apiTokenFile (a file) or apiTokenEnv (an environment variable)',
    })
    .optional(),
  /** Project key (upper-case letters, digits, underscore; starts with a letter). */
  project: z.string().regex(/^[A-Z][A-Z0-9_]{0,254}$/, 'a Jira project key such as SEC'),
  issueType: z.string().min(1).max(255).default('Task'),
  /** Labels every ticket carries, beside the lifecycle key label; spaces are not allowed in Jira labels. */
  labels: z
    .array(z.string().regex(/^\S{1,255}$/, 'a Jira label: no spaces, at most 255 characters'))
    .default(['grantscope']),
  /** Jira priority names by severity; a severity left out sets no priority (the project's default). */
  priorities: z
    .object({
      critical: priorityName.optional(),
      high: priorityName.optional(),
      medium: priorityName.optional(),
      low: priorityName.optional(),
      info: priorityName.optional(),
    })
    .strict()
    .optional(),
  /** Workflow transitions, by name as Jira's "Get transitions" lists them. */
  transitions: z
    .object({
      close: z.string().min(1).default(JIRA_DEFAULT_TRANSITIONS.close),
      reopen: z.string().min(1).default(JIRA_DEFAULT_TRANSITIONS.reopen),
    })
    .strict()
    .default({ ...JIRA_DEFAULT_TRANSITIONS }),
};

/** The Jira sink's whole entry: the lifecycle's shared keys (SinkCommon) and Jira's own, strictly. */
export const JiraSinkSettings = SinkCommon.extend({
  type: z.literal('jira'),
  ...jiraSettingsShape,
})
  .strict()
  .superRefine((v, ctx) => {
    const file = v.apiTokenFile !== undefined;
    const env = v.apiTokenEnv !== undefined;
    if (file && env)
      ctx.addIssue({
        code: 'custom',
        path: ['apiTokenFile'],
        message: 'set one of apiTokenFile or apiTokenEnv, not both',
      });
    if (!file && !env)
      ctx.addIssue({
        code: 'custom',
        path: ['apiTokenEnv'],
        message: 'apiTokenFile or apiTokenEnv is required',
      });
  });
export type JiraSinkSettings = z.infer<typeof JiraSinkSettings>;
