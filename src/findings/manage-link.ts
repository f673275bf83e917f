import type { Finding } from './finding.js';

/** `… at https://…/settings.` or `at https://… (or …)`: the URL without the sentence's punctuation. */
const LINK = /https:\/\/\S+?(?=[.,;:)]?(?:\s|$))/;

/**
 * Where to act on a finding: the identity's admin page, which every rule names in its remediation
 * (`whereToManage`). Null when the connector knew no page for it.
 */
export function manageLink(f: Pick<Finding, 'remediation'>): string | null {
  return LINK.exec(f.remediation)?.[0] ?? null;
}
