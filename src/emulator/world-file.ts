import { readFileSync, statSync } from 'node:fs';
import { isNode, LineCounter, parseDocument } from 'yaml';
import type { z } from 'zod';
import { WorldError } from './world-error.js';

/**
 * Reading a world file (YAML or JSON) so that its errors name the line. The emulator is a package of
 * its own, so it reads its worlds itself rather than through grantscope's config reader; worlds are
 * written by developers and tests, so the library's own checks (unique keys, alias expansion limit)
 * are enough here.
 */
export interface ParsedWorldFile {
  file: string;
  value: unknown;
  /** 1-based line of the node at `path`, or of its nearest existing parent. */
  lineOf(path: ReadonlyArray<PropertyKey>): number | null;
}

/** A world larger than this is a mistake; generated worlds are built in memory, not read from files. */
export const MAX_WORLD_FILE_BYTES = 16 * 1024 * 1024;

export function readWorldFile(file: string): ParsedWorldFile {
  const fail = (message: string, line: number | null = null): never => {
    throw new WorldError(file, [{ path: '', line, message }]);
  };
  let text = '';
  try {
    const size = statSync(file).size;
    if (size > MAX_WORLD_FILE_BYTES) fail(`file is ${size} bytes; the limit is ${MAX_WORLD_FILE_BYTES}`);
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if (err instanceof WorldError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    fail(code === 'ENOENT' ? 'file not found' : `cannot read file (${code})`);
  }
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  if (doc.errors.length > 0) {
    throw new WorldError(
      file,
      doc.errors.map((e) => ({
        path: '',
        line: lineCounter.linePos(e.pos[0]).line,
        message: e.message.split('\n')[0] ?? e.message,
      })),
    );
  }
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: 100 }) ?? {};
  } catch (err) {
    fail(`cannot expand the YAML: ${(err as Error).message} (aliases are limited to 100 expansions)`);
  }
  const lineOf = (path: ReadonlyArray<PropertyKey>): number | null => {
    for (let n = path.length; n >= 0; n--) {
      const node = n === 0 ? doc.contents : doc.getIn(path.slice(0, n) as unknown[], true);
      if (isNode(node) && node.range) return lineCounter.linePos(node.range[0]).line;
    }
    return null;
  };
  return { file, value, lineOf };
}

export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else out += out ? `.${String(p)}` : String(p);
  }
  return out;
}

/** Validate the parsed file with `schema`; errors name the key and its line. */
export function validateWorldFile<S extends z.ZodType>(parsed: ParsedWorldFile, schema: S): z.infer<S> {
  const result = schema.safeParse(parsed.value);
  if (result.success) return result.data;
  throw new WorldError(
    parsed.file,
    result.error.issues.map((issue) => {
      const path = issue.path as PropertyKey[];
      return { path: formatPath(path), line: parsed.lineOf(path), message: issue.message };
    }),
  );
}
