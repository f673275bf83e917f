import { z } from 'zod';
import { checkSecretRef, SinkCommon, secretRefShape } from '../../config.js';

/**
 * A Slack incoming webhook that receives one digest per sync: new and resolved findings, not tickets.
 * The webhook URL is the credential (Slack: "Your webhook URL contains a secret. Don't share it
 * online"), so it is referenced by file or environment variable like every secret, never inline.
 *
 * ```yaml
 * tickets:
 *   sinks:
 *     - name: security-channel
 *       type: slack
 *       webhookUrlEnv: GRANTSCOPE_SLACK_WEBHOOK_URL
 *       minSeverity: high
 * ```
 */
export const SlackSettings = SinkCommon.extend({
  type: z.literal('slack'),
  ...secretRefShape('webhookUrl'),
  /** Findings listed per section of the digest (new, resolved, …); the rest are counted. */
  maxItems: z.number().int().min(1).max(100).default(20),
  timeoutSeconds: z.number().positive().max(300).default(10),
  /** Retries after a 429 (honouring Retry-After), a 5xx or a connection failure. */
  maxRetries: z.number().int().min(0).max(10).default(4),
  /** Upper bound of one wait, whatever Retry-After asks. */
  maxRetryWaitSeconds: z.number().positive().max(3600).default(60),
})
  .strict()
  .superRefine((v, ctx) => {
    const problem = checkSecretRef(v, 'webhookUrl', true);
    if (problem) ctx.addIssue({ code: 'custom', message: problem, path: ['webhookUrlEnv'] });
  });
export type SlackSettings = z.infer<typeof SlackSettings>;
