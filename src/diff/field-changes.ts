/**
 * Structural equality of JSON-like values, with `undefined` object members treated as absent (as in
 * `canonicalJson`). Cheaper than comparing canonical strings, which matters for a million grants.
 */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') {
    return (a ?? null) === (b ?? null);
  }
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!jsonEqual(a[i], b[i])) return false;
    return true;
  }
  const ao = a as Record<string, unknown>;
  const bo = b as Record<string, unknown>;
  let defined = 0;
  for (const k in ao) {
    if (ao[k] === undefined) continue;
    defined++;
    if (!jsonEqual(ao[k], bo[k])) return false;
  }
  for (const k in bo) if (bo[k] !== undefined) defined--;
  return defined === 0;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** Dotted paths are interned so that a million changed grants share a handful of strings. */
const pathCache = new Map<string, Map<string, string>>();
function subPath(parent: string, child: string): string {
  let m = pathCache.get(parent);
  if (!m) {
    m = new Map();
    pathCache.set(parent, m);
  }
  let p = m.get(child);
  if (p === undefined) {
    p = `${parent}.${child}`;
    m.set(child, p);
  }
  return p;
}

function diffKeys(
  x: Record<string, unknown>,
  y: Record<string, unknown>,
  visit: (key: string, a: unknown, b: unknown) => void,
): void {
  for (const k in x) if (!jsonEqual(x[k], y[k])) visit(k, x[k], y[k]);
  for (const k in y) if (!(k in x) && !jsonEqual(undefined, y[k])) visit(k, undefined, y[k]);
}

/**
 * Paths of the fields that differ between two records: top-level names, or `parent.child` one level
 * down for nested objects (so `permission.access` rather than `permission`). `raw` and `attributes`
 * are reported as a whole. Sorted.
 */
export function changedFields(before: object, after: object): string[] {
  const out: string[] = [];
  diffKeys(before as Record<string, unknown>, after as Record<string, unknown>, (k, x, y) => {
    if (k !== 'raw' && k !== 'attributes' && isPlainObject(x) && isPlainObject(y)) {
      diffKeys(x, y, (sub) => out.push(subPath(k, sub)));
    } else {
      out.push(k);
    }
  });
  return out.length > 1 ? out.sort() : out;
}

/** The top-level field of a dotted path. */
export function topField(path: string): string {
  const dot = path.indexOf('.');
  return dot < 0 ? path : (topFields.get(path) ?? cacheTop(path, dot));
}
const topFields = new Map<string, string>();
function cacheTop(path: string, dot: number): string {
  const top = path.slice(0, dot);
  topFields.set(path, top);
  return top;
}
