import type { FrameworkRefs } from '../findings/finding.js';

/**
 * Framework references of the recertification rules (`overdue-review`, `review-decision-overdue`):
 * access is reviewed periodically and what a review decided is carried out. From
 * /work/shared/reference/risk-catalog.md §4: CIS Controls v8 5.5 (service accounts reviewed at least
 * quarterly) and 6.2 (access revoking process); NIST CSF 2.0 GV.RR-02 (responsibilities enforced) and
 * PR.AA-05 (permissions reviewed); OWASP NHI1 (improper offboarding) and NHI5 (over-privileged).
 */
export const RECERTIFICATION_FRAMEWORKS: FrameworkRefs = {
  owaspNhi: ['NHI1', 'NHI5'],
  nistCsf: ['GV.RR-02', 'PR.AA-05'],
  other: ['CIS Controls v8 5.5', 'CIS Controls v8 6.2', 'SOC 2 (TSC 2017) CC6.2', 'SOC 2 (TSC 2017) CC6.3'],
};

/**
 * `new-credential`: a secret, key or certificate minted on an existing identity. OWASP NHI2 (secret
 * leakage: every copy is one more to leak) and NHI7 (long-lived secrets); NIST CSF 2.0 PR.AA-01
 * (credentials managed) and DE.CM-03 (usage monitored for adverse events); SOC 2 CC6.2, CC7.2.
 */
export const NEW_CREDENTIAL_FRAMEWORKS: FrameworkRefs = {
  owaspNhi: ['NHI2', 'NHI7'],
  nistCsf: ['PR.AA-01', 'DE.CM-03'],
  other: ['SOC 2 (TSC 2017) CC6.2', 'SOC 2 (TSC 2017) CC7.2'],
};
