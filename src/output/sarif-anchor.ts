import { readFileSync } from 'node:fs';
import { basename, relative, sep } from 'node:path';
import type { Finding } from '../findings/finding.js';
import type { SarifAnchor } from './views/sarif.js';

/**
 * Anchors SARIF results to the configuration: each finding to the line of its platform's section in
 * grantscope.yaml (`github:`, `microsoft365:`, ...), the line a reader changes to scan that tenant.
 * The path is relative to `cwd` (CI runs from the repository root, which GitHub resolves relative
 * paths against); a file outside `cwd` is named by its base name. Without a config file, results
 * point at the first line of `grantscope.yaml`.
 */
export function configAnchor(configFile: string | null, cwd: string): (f: Finding) => SarifAnchor {
  const fallback: SarifAnchor = { uri: 'grantscope.yaml', startLine: 1, endColumn: 2 };
  if (!configFile) return () => fallback;
  const rel = relative(cwd, configFile);
  const uri = (rel.startsWith('..') || rel === '' ? basename(configFile) : rel).split(sep).join('/');
  let lines: string[];
  try {
    lines = readFileSync(configFile, 'utf8').split(/\r?\n/);
  } catch {
    return () => ({ ...fallback, uri });
  }
  const firstLine: SarifAnchor = { uri, startLine: 1, endColumn: Math.max(2, (lines[0]?.length ?? 0) + 1) };
  const sections = new Map<string, SarifAnchor>();
  lines.forEach((line, i) => {
    const m = /^([A-Za-z0-9_-]+):/.exec(line);
    if (m && !sections.has(m[1]!))
      sections.set(m[1]!, { uri, startLine: i + 1, endColumn: Math.max(2, line.length + 1) });
  });
  return (f) => sections.get(f.platform) ?? firstLine;
}
