import type { Grant, Json } from '../model/index.js';
import { describeTarget } from './wording.js';

/** Evidence lists are capped so that one identity with 50 000 per-user grants stays readable. */
export const EVIDENCE_LIST_MAX = 50;

/** The facts of a grant a reviewer needs: what, how much, on what, how risky and why. */
export function grantEvidence(g: Grant): Json {
  return {
    permission: g.permission.name,
    permissionId: g.permission.id,
    resource: g.permission.resource,
    access: g.permission.access,
    target: describeTarget(g.target),
    breadth: g.target.breadth,
    tier: g.risk.tier,
    tierReason: g.risk.reason,
    grantedVia: g.grantedVia,
    grantedAt: g.grantedAt,
    principal: g.principal
      ? { id: g.principal.id, name: g.principal.name, active: g.principal.active }
      : null,
  };
}

/** `{ [name]: first EVIDENCE_LIST_MAX items, [name]Count: total }`. */
export function cappedList<T>(
  name: string,
  items: readonly T[],
  toJson: (item: T) => Json,
): Record<string, Json> {
  const out: Record<string, Json> = {
    [name]: items.slice(0, EVIDENCE_LIST_MAX).map(toJson),
    [`${name}Count`]: items.length,
  };
  if (items.length > EVIDENCE_LIST_MAX) out[`${name}Truncated`] = true;
  return out;
}
