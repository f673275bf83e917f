/**
 * What changed in a record, in words: `name: "Acme CI" → "Acme CI (prod)"`, `owners: +alice, -bob`,
 * `publisher verified: false → true`. The stored raw API object is not a change anyone acts on (it
 * differs whenever the platform adds a field), so it is never named; a record whose only change is
 * raw gets no line at all.
 */

/** Field paths as the diff names them → words. Unlisted paths are spelled out from their camelCase. */
const FIELD_WORDS: Record<string, string> = {
  displayName: 'name',
  createdAt: 'created',
  grantedAt: 'granted',
  expiresAt: 'expires',
  lastUsed: 'last used',
  enabled: 'enabled',
  publisher: 'publisher',
  origin: 'origin',
  manageUrl: 'admin page',
  'permission.access': 'access',
  'target.resources': 'resources',
  'target.breadth': 'reach',
};

/** `publisherVerified` → `publisher verified`. */
function words(path: string): string {
  return (
    FIELD_WORDS[path] ??
    path
      .split('.')
      .at(-1)!
      .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
      .toLowerCase()
  );
}

const MAX_VALUE = 60;

/** A value short enough for a table cell; dates as days. */
function valueText(v: unknown): string {
  if (v === null || v === undefined) return 'none';
  if (typeof v === 'string') {
    const s = /^\d{4}-\d{2}-\d{2}T/.test(v) ? v.slice(0, 10) : v;
    return s.length > MAX_VALUE ? `"${s.slice(0, MAX_VALUE - 1)}…"` : `"${s}"`;
  }
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return `${v.length} item${v.length === 1 ? '' : 's'}`;
  return 'changed';
}

function at(record: unknown, path: string): unknown {
  let v: unknown = record;
  for (const part of path.split('.')) v = (v as Record<string, unknown> | null | undefined)?.[part];
  return v;
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

const isScalarList = (v: unknown): v is (string | number)[] =>
  Array.isArray(v) && v.every((x) => typeof x === 'string' || typeof x === 'number');

/** `scopes: +drive, -gmail.readonly` for lists of names; `name: "a" → "b"` for the rest. */
function changeText(field: string, before: unknown, after: unknown): string {
  if (isScalarList(before ?? []) && isScalarList(after ?? [])) {
    const b = new Set((before ?? []) as unknown[]);
    const a = new Set((after ?? []) as unknown[]);
    const added = [...a].filter((x) => !b.has(x)).map((x) => `+${x}`);
    const removed = [...b].filter((x) => !a.has(x)).map((x) => `-${x}`);
    const all = [...added, ...removed];
    if (all.length > 0)
      return `${words(field)}: ${all.slice(0, 4).join(', ')}${all.length > 4 ? `, … (${all.length - 4} more)` : ''}`;
  }
  return `${words(field)}: ${valueText(before)} → ${valueText(after)}`;
}

/** `owners: +alice, -bob` from two lists of people (`{ id, name }`). */
function ownersText(before: unknown, after: unknown): string {
  const label = (o: { id?: string; name?: string | null }) => o.name ?? o.id ?? '?';
  const list = (v: unknown) => (Array.isArray(v) ? (v as { id?: string; name?: string | null }[]) : []);
  const ids = (v: unknown) => new Set(list(v).map((o) => o.id));
  const added = list(after).filter((o) => !ids(before).has(o.id));
  const removed = list(before).filter((o) => !ids(after).has(o.id));
  const parts = [...added.map((o) => `+${label(o)}`), ...removed.map((o) => `-${label(o)}`)];
  return `owners: ${parts.length > 0 ? parts.join(', ') : 'status changed'}`;
}

/**
 * The changes between `before` and `after` at the diff's changed `fields`, in words, `; `-separated.
 * `attributes` (the connector's normalised extras) is opened up key by key. Empty when only the raw
 * object changed.
 */
export function describeFieldChanges(before: unknown, after: unknown, fields: readonly string[]): string {
  const parts: string[] = [];
  for (const field of fields) {
    if (field === 'raw' || field.startsWith('raw.')) continue;
    if (field === 'attributes') {
      const b = (at(before, 'attributes') ?? {}) as Record<string, unknown>;
      const a = (at(after, 'attributes') ?? {}) as Record<string, unknown>;
      for (const key of [...new Set([...Object.keys(b), ...Object.keys(a)])].sort()) {
        if (!sameJson(b[key], a[key])) parts.push(changeText(key, b[key], a[key]));
      }
      continue;
    }
    if (field === 'owners') {
      parts.push(ownersText(at(before, 'owners'), at(after, 'owners')));
      continue;
    }
    parts.push(changeText(field, at(before, field), at(after, field)));
  }
  return parts.join('; ');
}
