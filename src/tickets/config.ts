import { z } from 'zod';
import type { ParsedYaml } from '../config/yaml-file.js';
import { validateYaml } from '../config/yaml-file.js';
import { ConfigError } from '../errors.js';
import { Severity } from '../findings/severity.js';
import { RULE_IDS } from '../rules/registry.js';

/**
 * The `tickets:` section of grantscope.yaml. Each sink names its type; the settings every sink shares
 * are checked here, the type's own settings by the type (src/tickets/registry.ts), so a new sink type
 * brings its own schema.
 *
 * ```yaml
 * tickets:
 *   sinks:
 *     - name: security-jira
 *       type: jira
 *       group: identity          # one ticket per identity, not per finding
 *       minSeverity: high
 *     - name: siem
 *       type: webhook
 *       url: https://hooks.example.com/grantscope
 *       secretEnv: GRANTSCOPE_WEBHOOK_SECRET
 * ```
 */
export const TicketGrouping = z.enum(['finding', 'identity', 'owner']);
export type TicketGrouping = z.infer<typeof TicketGrouping>;

export const SinkCommon = z.object({
  /** Names the sink in state, logs and `--sink`; changing it starts the sink's lifecycle afresh. */
  name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, 'letters, digits, _ . - (at most 64)'),
  type: z.string().min(1),
  /** One ticket per finding (default), per identity, or per registered owner (governance file). */
  group: TicketGrouping.default('finding'),
  /** Findings below this severity get no ticket (and close theirs when they fall below it). */
  minSeverity: Severity.default('medium'),
  /** Only findings of these rules, when given (ids as `grantscope rules` lists them). */
  rules: z
    .array(
      z.string().refine((id) => (RULE_IDS as readonly string[]).includes(id), {
        error: (issue) => `unknown rule '${String(issue.input)}'; rules: ${RULE_IDS.join(', ')}`,
      }),
    )
    .min(1)
    .optional(),
});
export type SinkCommon = z.infer<typeof SinkCommon>;

/** What the engine settings hold: shared keys checked, type-specific keys kept for the sink type. */
export const TicketsSection = z
  .object({
    sinks: z.array(SinkCommon.loose()).default([]),
  })
  .strict();
export type TicketsSection = z.infer<typeof TicketsSection>;

/**
 * Secret references: `<name>File` (a file, relative to the config file) or `<name>Env` (an environment
 * variable), never the value inline: an inline `<name>` is refused with a message that says why.
 */
export function secretRefShape<N extends string>(name: N) {
  return {
    [`${name}File`]: z.string().min(1).optional(),
    [`${name}Env`]: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an environment variable name')
      .optional(),
    [name]: z
      .never({
        error: `secrets are never written inline: use ${name}File (a file) or ${name}Env (an environment variable)`,
      })
      .optional(),
  } as { [K in `${N}File` | `${N}Env`]: z.ZodOptional<z.ZodString> } & {
    [K in N]: z.ZodOptional<z.ZodNever>;
  };
}

/** Checks that exactly one of `<name>File` / `<name>Env` is set (or none when optional). */
export function checkSecretRef(
  value: Record<string, unknown>,
  name: string,
  required: boolean,
): string | null {
  const file = value[`${name}File`];
  const env = value[`${name}Env`];
  if (file !== undefined && env !== undefined) return `set one of ${name}File or ${name}Env, not both`;
  if (required && file === undefined && env === undefined) return `${name}File or ${name}Env is required`;
  return null;
}

/** Validates one sink entry against the shared keys plus its type's own schema; errors name the key and line. */
export function validateSinkEntry<T>(
  parsed: ParsedYaml,
  schema: z.ZodType<T>,
  entry: unknown,
  index: number,
): T {
  return validateYaml(parsed, schema, entry, ['tickets', 'sinks', index]);
}

/** Duplicate sink names would share state: refused. */
export function checkUniqueNames(file: string, parsed: ParsedYaml, sinks: readonly { name: string }[]): void {
  const seen = new Set<string>();
  sinks.forEach((s, i) => {
    if (seen.has(s.name)) {
      throw new ConfigError(file, [
        {
          path: `tickets.sinks[${i}].name`,
          line: parsed.lineOf(['tickets', 'sinks', i, 'name']),
          message: `sink name '${s.name}' is used twice; each sink keeps its own ticket state`,
        },
      ]);
    }
    seen.add(s.name);
  });
}
