import { ACCESS_ORDER, BREADTH_ORDER, type Grant } from '../model/index.js';
import type { ExpansionChange } from './types.js';

/** Number of resources a `selected` target reaches: the count when known, else the listed ids. */
export function selectionSize(g: Grant): number {
  return g.target.count ?? g.target.resources.length;
}

/**
 * How `after` reaches further than `before` (the same grant key in two scans): a higher access level,
 * a broader target, or — for a selection — more resources or resources not selected before.
 * Empty when nothing widened (narrowing is not an expansion).
 */
export function grantWidening(before: Grant, after: Grant): ExpansionChange[] {
  const changes: ExpansionChange[] = [];
  if (ACCESS_ORDER[after.permission.access] > ACCESS_ORDER[before.permission.access]) {
    changes.push({
      reason: 'access-level',
      before: before.permission.access,
      after: after.permission.access,
    });
  }
  const breadthBefore = BREADTH_ORDER[before.target.breadth];
  const breadthAfter = BREADTH_ORDER[after.target.breadth];
  if (breadthAfter > breadthBefore) {
    changes.push({ reason: 'target-breadth', before: before.target.breadth, after: after.target.breadth });
  } else if (before.target.breadth === 'selected' && after.target.breadth === 'selected') {
    const had = new Set(before.target.resources);
    const added = after.target.resources.filter((r) => !had.has(r));
    const n0 = selectionSize(before);
    const n1 = selectionSize(after);
    if (n1 > n0 || added.length > 0) changes.push({ reason: 'more-resources', before: n0, after: n1, added });
  }
  return changes;
}

/** The expansion a grant new to an existing identity represents. */
export function newGrantChange(g: Grant): ExpansionChange {
  return {
    reason: 'new-grant',
    before: null,
    after: { access: g.permission.access, breadth: g.target.breadth },
  };
}
