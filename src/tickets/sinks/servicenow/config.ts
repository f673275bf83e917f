import { z } from 'zod';
import { SinkCommon } from '../../config.js';

const Level = z.enum(['1', '2', '3']);

/**
 * A ServiceNow sink in grantscope.yaml (`tickets.sinks[]` with `type: servicenow`). The password is
 * named by file or environment variable, never written in the file.
 */
export const ServiceNowSinkConfig = SinkCommon.extend({
  type: z.literal('servicenow'),
  /** The instance, e.g. https://acme.service-now.com */
  instance: z.string().url(),
  /** `incident`, or a table of your own with the same state/journal fields. */
  table: z
    .string()
    .regex(/^[a-z0-9_]+$/, 'a table name: lowercase letters, digits and underscores')
    .default('incident'),
  username: z.string().min(1),
  passwordFile: z.string().min(1).optional(),
  passwordEnv: z.string().min(1).optional(),
  /** Fields set on every new record: assignment_group, category, caller_id, … */
  fields: z.record(z.string(), z.string()).default({}),
  /** Journal field for updates: work notes (internal) or additional comments (visible to the caller). */
  commentField: z.enum(['work_notes', 'comments']).default('work_notes'),
  /** Impact and urgency per severity (ServiceNow derives the priority from the two). */
  severity: z
    .partialRecord(
      z.enum(['critical', 'high', 'medium', 'low', 'info']),
      z.object({ impact: Level, urgency: Level }),
    )
    .default({}),
  /** The state that resolves a record (incident: 6 Resolved), with the resolution code it needs. */
  closeState: z.string().default('6'),
  closeCode: z.string().default('Solution provided'),
  /** The state a record goes back to when its finding returns (incident: 2 In Progress). */
  reopenState: z.string().default('2'),
})
  .strict()
  .superRefine((c, ctx) => {
    if ((c.passwordFile === undefined) === (c.passwordEnv === undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: ['passwordFile'],
        message: 'set one of passwordFile or passwordEnv (the integration user’s password)',
      });
    }
  });
export type ServiceNowSinkConfig = z.output<typeof ServiceNowSinkConfig>;

/** Defaults that follow the incident priority matrix: critical → P1, high → P2, medium → P3, low/info → P4/P5. */
export const DEFAULT_LEVELS: Record<string, { impact: '1' | '2' | '3'; urgency: '1' | '2' | '3' }> = {
  critical: { impact: '1', urgency: '1' },
  high: { impact: '1', urgency: '2' },
  medium: { impact: '2', urgency: '2' },
  low: { impact: '2', urgency: '3' },
  info: { impact: '3', urgency: '3' },
};
