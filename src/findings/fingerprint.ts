import { createHash } from 'node:crypto';
import type { RuleId } from './finding.js';

/** What a finding is about: the parts its fingerprint is made of. */
export interface FingerprintParts {
  rule: RuleId;
  platform: string;
  tenant: string;
  identityKind: string;
  identityId: string;
  /** The narrower thing within the identity (`client-secret:key-1`, `orphaned-grants`), or null. */
  subject: string | null;
}

/**
 * A finding's fingerprint: the first 32 hex digits (128 bits) of SHA-256 over the JSON array
 * `["grantscope-finding/v1", rule, platform, tenant, identityKind, identityId, subject]`.
 *
 * It names *what* is wrong with *which* identity, never how badly or why: severity, evidence, title,
 * as-of time and scan id are left out, so the same problem keeps its fingerprint across scans (first-seen
 * stays put, tickets are deduplicated, exceptions keep matching) while its severity or evidence change.
 * The version prefix lets a future scheme coexist with stored fingerprints instead of colliding with them.
 */
export function findingFingerprint(p: FingerprintParts): string {
  const material = JSON.stringify([
    'grantscope-finding/v1',
    p.rule,
    p.platform,
    p.tenant,
    p.identityKind,
    p.identityId,
    p.subject,
  ]);
  return createHash('sha256').update(material).digest('hex').slice(0, 32);
}

/** Hex digits of the short form: 40 bits, unique among millions of findings, short enough to say aloud. */
export const SHORT_FINGERPRINT_LENGTH = 10;

/** The fingerprint's first digits, as tables and reports show it (like a short commit hash). */
export function shortFingerprint(fingerprint: string): string {
  return fingerprint.slice(0, SHORT_FINGERPRINT_LENGTH);
}
