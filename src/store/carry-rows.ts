import type { CarryValidity } from './store.js';

/** Where `finding_carry` stores "evaluate it on every scan" (-Infinity): before any time there is. */
const MIN_INSTANT = -8.64e15;

/** A `finding_carry` row of `v` (both stores): Infinity (for as long as its records hold) is NULL. */
export function carryRow(v: CarryValidity): [string, string, string, number | null, string | null] {
  const until = v.validUntil === Number.POSITIVE_INFINITY ? null : Math.max(v.validUntil, MIN_INSTANT);
  return [v.platform, v.tenant, v.identityKey, until, v.projection];
}
