/**
 * Google partial responses: the `fields` query parameter (`nextPageToken,users(id,primaryEmail,name/fullName)`).
 * Grammar: list := item (',' item)* ; item := name ('/' name)* ('(' list ')')? ; name := identifier | '*'.
 */
export type FieldTree = Map<string, FieldTree | true>;

/** What the emulator knows a response type contains: nested shapes, `leaf`, or `any` (not checked further). */
export type Shape = { readonly [field: string]: Shape | 'leaf' | 'any' };

export class FieldSelectionError extends Error {}

export function parseFields(text: string): FieldTree {
  let i = 0;
  const peek = () => text[i];
  const name = (): string => {
    const m = /^(\*|[A-Za-z0-9_@$.-]+)/.exec(text.slice(i));
    if (!m) throw new FieldSelectionError(`Invalid field selection: unexpected '${peek() ?? 'end'}' at ${i}`);
    i += m[1]!.length;
    return m[1]!;
  };
  const merge = (into: FieldTree, key: string, sub: FieldTree | true) => {
    const prev = into.get(key);
    if (prev === true || sub === true) into.set(key, true);
    else if (prev) for (const [k, v] of sub) merge(prev, k, v);
    else into.set(key, sub);
  };
  const list = (): FieldTree => {
    const out: FieldTree = new Map();
    for (;;) {
      const path = [name()];
      while (peek() === '/') {
        i++;
        path.push(name());
      }
      let leaf: FieldTree | true = true;
      if (peek() === '(') {
        i++;
        leaf = list();
        if (peek() !== ')') throw new FieldSelectionError(`Invalid field selection: missing ')' at ${i}`);
        i++;
      }
      let node: FieldTree | true = leaf;
      for (let k = path.length - 1; k > 0; k--) node = new Map([[path[k]!, node]]);
      merge(out, path[0]!, node);
      if (peek() !== ',') return out;
      i++;
    }
  };
  const tree = list();
  if (i !== text.length)
    throw new FieldSelectionError(`Invalid field selection: unexpected '${peek()}' at ${i}`);
  return tree;
}

/** Reject selections of fields the response type does not have (Google answers 400 to those). */
export function checkFields(tree: FieldTree, shape: Shape, where = ''): void {
  for (const [key, sub] of tree) {
    if (key === '*') continue;
    const s = shape[key];
    if (s === undefined) throw new FieldSelectionError(`Invalid field selection ${where}${key}`);
    if (sub !== true && typeof s === 'object') checkFields(sub, s, `${where}${key}/`);
  }
}

/** Keep only the selected fields (arrays are transparent). */
export function applyFields(value: unknown, tree: FieldTree): unknown {
  if (Array.isArray(value)) return value.map((v) => applyFields(v, tree));
  if (value === null || typeof value !== 'object') return value;
  const obj = value as Record<string, unknown>;
  if (tree.has('*')) {
    const all = tree.get('*')!;
    return Object.fromEntries(
      Object.entries(obj).map(([k, v]) => [k, all === true ? v : applyFields(v, all)]),
    );
  }
  const out: Record<string, unknown> = {};
  for (const [key, sub] of tree) {
    if (!(key in obj) || obj[key] === undefined) continue;
    out[key] = sub === true ? obj[key] : applyFields(obj[key], sub);
  }
  return out;
}
