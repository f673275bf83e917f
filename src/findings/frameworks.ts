import { type RiskCatalog, riskCatalog } from '../risk/catalog.js';
import type { FrameworkRefs } from './finding.js';

const NIST_CSF = 'NIST CSF 2.0';

/**
 * Framework controls findings of a type map to, from the catalog: OWASP NHI Top 10 ids whose scanner
 * findings include the finding type (a rule's `findingType`), NIST CSF 2.0 subcategories, and every
 * other framework's control as `<framework> <id>`, in catalog order.
 */
export function frameworkRefsFor(
  type: string,
  platform: string | null = null,
  catalog: RiskCatalog = riskCatalog(),
): FrameworkRefs {
  const controls = catalog.frameworks.filter(
    (f) =>
      f.findings.includes(type) && (!f.platforms || (platform !== null && f.platforms.includes(platform))),
  );
  return {
    owaspNhi: catalog.owaspNhi.filter((o) => o.scannerFindings.includes(type)).map((o) => o.id),
    nistCsf: controls.filter((f) => f.framework === NIST_CSF).map((f) => f.id),
    other: controls.filter((f) => f.framework !== NIST_CSF).map((f) => `${f.framework} ${f.id}`),
  };
}

const cache = new Map<string, FrameworkRefs>();

/**
 * `frameworkRefsFor` with the built-in catalog, computed once per rule and platform; callers get their
 * own copy. Platform-specific benchmarks are included only for their platform.
 */
export function frameworkRefs(findingType: string, platform: string | null = null): FrameworkRefs {
  const key = `${findingType}\u0000${platform ?? ''}`;
  let refs = cache.get(key);
  if (!refs) {
    refs = frameworkRefsFor(findingType, platform);
    cache.set(key, refs);
  }
  return { owaspNhi: [...refs.owaspNhi], nistCsf: [...refs.nistCsf], other: [...refs.other] };
}
