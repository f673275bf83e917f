import { z } from 'zod';
import { SinkCommon } from '../../config.js';

/**
 * A GitHub Issues sink in grantscope.yaml (`tickets.sinks[]` with `type: github-issues`). The
 * credential is a token named by file or environment variable (a fine-grained token with Issues:
 * write on the repository), or a GitHub App installation with the Issues (write) permission.
 */
export const GithubIssuesSinkConfig = SinkCommon.extend({
  type: z.literal('github-issues'),
  /** `owner/name` of the repository that holds the issues. */
  repository: z.string().regex(/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/, 'owner/name'),
  /** REST API root: https://api.github.com, or https://HOST/api/v3 for GitHub Enterprise Server. */
  baseUrl: z.string().url().default('https://api.github.com'),
  tokenFile: z.string().min(1).optional(),
  tokenEnv: z.string().min(1).optional(),
  app: z
    .object({
      id: z.union([z.number().int().positive(), z.string().regex(/^\d+$/)]),
      installationId: z.union([z.number().int().positive(), z.string().regex(/^\d+$/)]),
      privateKeyFile: z.string().min(1),
    })
    .strict()
    .optional(),
  /** Labels on every issue; the first is how grantscope finds its own issues again. */
  labels: z.array(z.string().min(1).max(50)).min(1).default(['grantscope']),
  /** Add a `severity:<level>` label. */
  severityLabel: z.boolean().default(true),
})
  .strict()
  .superRefine((c, ctx) => {
    const set = [c.tokenFile, c.tokenEnv, c.app].filter((x) => x !== undefined).length;
    if (set !== 1) {
      ctx.addIssue({
        code: 'custom',
        path: ['tokenFile'],
        message: 'set one credential: tokenFile, tokenEnv or app',
      });
    }
  });
export type GithubIssuesSinkConfig = z.output<typeof GithubIssuesSinkConfig>;
