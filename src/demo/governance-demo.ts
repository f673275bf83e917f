import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../package-root.js';

/** The demo's governance file, as shipped (dates relative to the day the demo runs). */
export function demoGovernanceFile(): string {
  return join(packageRoot(), 'fixtures', 'governance.demo.yaml');
}

/**
 * `now-30d` / `now+60d` → the calendar date that many days from `now` (UTC), so that the demo's
 * exception is current and its review overdue on whichever day the demo runs, as the worlds' dates are.
 */
export function renderRelativeDates(text: string, now: Date): string {
  return text.replace(/\bnow([+-])(\d+)d\b/g, (_m, sign: string, n: string) =>
    new Date(now.getTime() + (sign === '-' ? -1 : 1) * Number(n) * 86_400_000).toISOString().slice(0, 10),
  );
}

/** Writes the demo's governance file, dated, as `governance.yaml` in `dir`; returns its path. */
export function writeDemoGovernance(dir: string, now: Date): string {
  const file = join(dir, 'governance.yaml');
  writeFileSync(file, renderRelativeDates(readFileSync(demoGovernanceFile(), 'utf8'), now), { mode: 0o600 });
  return file;
}
