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

/**
 * Paths of the fields that differ between two records: top-level names, or `parent.child` one level
 * down for nested objects (so `permission.access` rather than `permission`). `raw` and `attributes`
 * are reported as a whole.
 */
export function changedFields(before: object, after: object): string[] {
  const b = before as Record<string, unknown>;
  const a = after as Record<string, unknown>;
  const out: string[] = [];
  const keys = new Set([...Object.keys(b), ...Object.keys(a)]);
  for (const k of keys) {
    const x = b[k];
    const y = a[k];
    if (jsonEqual(x, y)) continue;
    if (k !== 'raw' && k !== 'attributes' && isPlainObject(x) && isPlainObject(y)) {
      for (const sub of new Set([...Object.keys(x), ...Object.keys(y)])) {
        if (!jsonEqual(x[sub], y[sub])) out.push(`${k}.${sub}`);
      }
    } else {
      out.push(k);
    }
  }
  return out.sort();
}

/** The top-level field of a dotted path. */
export function topField(path: string): string {
  const dot = path.indexOf('.');
  return dot < 0 ? path : path.slice(0, dot);
}
