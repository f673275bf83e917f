import { describe, expect, it } from 'vitest';
import { jsonForScriptBlock, reportCsp } from './render-html.js';

describe('jsonForScriptBlock', () => {
  it('leaves no character that can end a script block or open a comment, and parses back to the same value', () => {
    const value = { name: '</script><script>alert(1)</script><!-- & \u2028\u2029 >' };
    const text = jsonForScriptBlock(value);
    expect(text).not.toMatch(/[<>&\u2028\u2029]/);
    expect(JSON.parse(text)).toEqual(value);
  });
});

describe('reportCsp', () => {
  it('allows nothing external and only the given style and script, by hash', () => {
    const csp = reportCsp('body{}', 'alert(1)');
    expect(csp.split('; ')[0]).toBe("default-src 'none'");
    expect(csp).toContain("script-src 'sha256-");
    expect(csp).not.toMatch(/unsafe-inline|https?:|\*/);
    expect(reportCsp('body{}', 'alert(2)')).not.toBe(csp);
  });
});
