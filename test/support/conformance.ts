import type { RecordedRequest } from '../../src/emulator/journal.js';

/**
 * Per test file: which recorded emulator requests are exempt from the vendor-description check.
 * Only the emulator's own tests may use it, to send requests that the real service refuses and
 * assert that the emulator refuses them too.
 */
interface Exemption {
  reason: string;
  applies: (request: RecordedRequest) => boolean;
}

const KEY = Symbol.for('grantscope.test.conformance-exemptions');

export function conformanceExemptions(): Exemption[] {
  const g = globalThis as unknown as Record<symbol, Exemption[] | undefined>;
  g[KEY] ??= [];
  return g[KEY];
}

/**
 * Exempt this test file's requests (all of them, or those `applies` picks) from the check that
 * every request the emulator receives is allowed by the vendor's description.
 */
export function exemptFromRequestConformance(
  reason: string,
  applies: (request: RecordedRequest) => boolean = () => true,
): void {
  if (reason.trim() === '') throw new Error('an exemption needs a reason');
  conformanceExemptions().push({ reason, applies });
}
