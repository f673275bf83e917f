import { readFileSync, statSync } from 'node:fs';
import { isNode, isScalar, LineCounter, parseDocument, visit } from 'yaml';
import type { z } from 'zod';
import { ConfigError } from '../errors.js';

export interface YamlSource {
  /** File name shown in errors. */
  file: string;
  text: string;
}

export interface ParsedYaml {
  file: string;
  value: unknown;
  /** 1-based line of the node at `path`, or of its nearest existing parent. */
  lineOf(path: ReadonlyArray<PropertyKey>): number | null;
}

/** Configuration, policy and world files are hand-written; anything larger is a mistake or an attack. */
export const MAX_YAML_BYTES = 16 * 1024 * 1024;

export function readYamlFile(file: string): YamlSource {
  try {
    const size = statSync(file).size;
    if (size > MAX_YAML_BYTES) {
      throw new ConfigError(file, [
        { path: '', line: null, message: `file is ${size} bytes; the limit is ${MAX_YAML_BYTES}` },
      ]);
    }
    return { file, text: readFileSync(file, 'utf8') };
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    throw new ConfigError(file, [
      { path: '', line: null, message: code === 'ENOENT' ? 'file not found' : `cannot read file (${code})` },
    ]);
  }
}

/** Parse YAML, keeping positions so that later validation errors can name the line. */
export function parseYaml(src: YamlSource): ParsedYaml {
  const lineCounter = new LineCounter();
  // Duplicate keys are found below in linear time: the library's own check compares every pair of
  // keys of a mapping, which takes minutes on a mapping of 80k keys.
  const doc = parseDocument(src.text, { lineCounter, prettyErrors: false, uniqueKeys: false });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      src.file,
      doc.errors.map((e) => ({
        path: '',
        // With prettyErrors off, `linePos` is not filled in; derive the line from the offset.
        line: e.linePos?.[0]?.line ?? lineCounter.linePos(e.pos[0]).line,
        message: e.message.split('\n')[0] ?? e.message,
      })),
    );
  }
  const keyIssues: { path: string; line: number | null; message: string }[] = [];
  visit(doc, {
    Map(_key, map) {
      const seen = new Set<unknown>();
      for (const pair of map.items) {
        const at = isNode(pair.key) && pair.key.range ? lineCounter.linePos(pair.key.range[0]).line : null;
        if (pair.key !== null && !isScalar(pair.key)) {
          keyIssues.push({
            path: '',
            line: at,
            message: 'a key must be a plain value, not a list or mapping',
          });
          continue;
        }
        const key = isScalar(pair.key) ? pair.key.value : null;
        if (!seen.has(key)) {
          seen.add(key);
          continue;
        }
        keyIssues.push({ path: String(key), line: at, message: 'Map keys must be unique' });
      }
    },
  });
  if (keyIssues.length > 0) throw new ConfigError(src.file, keyIssues);
  let value: unknown;
  try {
    // toJS expands aliases; the library stops an alias bomb (a few lines that expand to billions of
    // nodes) with a ReferenceError, which is the file's fault, not ours.
    value = doc.toJS({ maxAliasCount: 100 }) ?? {};
  } catch (err) {
    throw new ConfigError(src.file, [
      {
        path: '',
        line: null,
        message: `cannot expand the YAML: ${(err as Error).message} (aliases are limited to 100 expansions)`,
      },
    ]);
  }
  const lineOf = (path: ReadonlyArray<PropertyKey>): number | null => {
    for (let n = path.length; n >= 0; n--) {
      const node = n === 0 ? doc.contents : doc.getIn(path.slice(0, n) as unknown[], true);
      if (isNode(node) && node.range) return lineCounter.linePos(node.range[0]).line;
      // For a key that exists, point at the key itself.
    }
    return null;
  };
  return { file: src.file, value, lineOf };
}

export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else out += out ? `.${String(p)}` : String(p);
  }
  return out;
}

/** Validate `value` (or a part of the parsed file at `basePath`) with `schema`; errors name key and line. */
export function validateYaml<S extends z.ZodType>(
  parsed: ParsedYaml,
  schema: S,
  value: unknown = parsed.value,
  basePath: ReadonlyArray<PropertyKey> = [],
): z.infer<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw new ConfigError(
    parsed.file,
    result.error.issues.map((issue) => {
      const path = [...basePath, ...(issue.path as PropertyKey[])];
      let message = issue.message;
      let line = parsed.lineOf(path);
      if (issue.code === 'unrecognized_keys') {
        message = `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `'${k}'`).join(', ')}`;
        // Point at the (first) unknown key itself, not at the mapping that holds it.
        line = parsed.lineOf([...path, issue.keys[0]!]) ?? line;
      }
      return { path: formatPath(path), line, message };
    }),
  );
}
