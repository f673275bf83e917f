/**
 * The output formats the commands offer, by name only: `--format` choices are registered before a command
 * runs, and importing the renderers for them (string width tables, SARIF, OCSF, the rules) would cost every
 * start-up, a scan's included, before its first request.
 */

/** Formats of listings (inventory, rules, tickets, …). */
export const OUTPUT_FORMATS = ['table', 'json', 'csv', 'md'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

/**
 * `findings` and `scan` outputs: the listing formats, JSON Lines (one finding per line, for scripts), SARIF
 * 2.1.0 (GitHub code scanning) and OCSF Detection Findings (SIEMs, one event per line).
 */
export const FINDINGS_FORMATS = ['table', 'json', 'jsonl', 'csv', 'md', 'sarif', 'ocsf'] as const;
export type FindingsFormat = (typeof FINDINGS_FORMATS)[number];
