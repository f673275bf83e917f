import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../package-root.js';
import type { ReportData } from './report-data.js';

/** The report's stylesheet and script, shipped as files (src/report/assets) and inlined into each report. */
function asset(name: 'report.css' | 'report.js'): string {
  return readFileSync(join(packageRoot(), 'src', 'report', 'assets', name), 'utf8');
}

/**
 * JSON that is safe inside `<script type="application/json">`: `<` is escaped so that `</script>` or
 * `<!--` in a display name cannot end the block; `>` and `&` likewise, and U+2028/2029 for old parsers.
 * `JSON.parse` reads the escapes back as the same characters.
 */
export function jsonForScriptBlock(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

const sha256 = (text: string) => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;

/**
 * The Content-Security-Policy of the report: nothing may be loaded or sent (`default-src 'none'`,
 * `connect-src`, `img-src`, `font-src` fall back to it); only the report's own inline style and
 * script run, pinned by their SHA-256, so an injected `<script>` or `onerror=` attribute would not run
 * even if it reached the DOM.
 */
export function reportCsp(style: string, script: string): string {
  return [
    "default-src 'none'",
    `style-src ${sha256(style)}`,
    `script-src ${sha256(script)}`,
    "img-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');
}

/** One self-contained HTML file: inline CSS, script and data; the script draws the page from the data. */
export function renderReportHtml(data: ReportData): string {
  const style = asset('report.css');
  const script = asset('report.js');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${reportCsp(style, script)}">
<meta name="referrer" content="no-referrer">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="grantscope ${data.tool.version}">
<title>grantscope report — snapshot #${data.scan.id}</title>
<style>${style}</style>
</head>
<body>
<header><h1 id="title">grantscope report</h1><p id="subtitle"></p></header>
<nav>
<a href="#summary" data-view="summary">Summary</a>
<a href="#inventory" data-view="inventory">Inventory</a>
<a href="#findings" data-view="findings">Findings</a>
<a href="#frameworks" data-view="frameworks">Frameworks</a>
</nav>
<main id="main"><noscript>This report draws its tables with JavaScript; the data is in the report-data block of this file.</noscript></main>
<footer id="footer"></footer>
<script type="application/json" id="report-data">${jsonForScriptBlock(data)}</script>
<script>${script}</script>
</body>
</html>
`;
}
