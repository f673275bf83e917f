import { describe, expect, it } from 'vitest';
import { escapeFormatCharactersInJson, markdownText, safeText } from './safe-text.js';

describe('safeText', () => {
  it('shows control characters instead of sending them to the terminal', () => {
    expect(safeText('evil\x1b[2J\x1b]0;pwned\x07app')).toBe('evil\\x1b[2J\\x1b]0;pwned\\x07app');
    expect(safeText('c1\x9bcontrol')).toBe('c1\\x9bcontrol');
  });

  it('shows bidi overrides and invisible characters', () => {
    expect(safeText('invoice\u202Efdp.exe')).toBe('invoice\\u202efdp.exe');
    expect(safeText('pay\u200Bpal\u2066x\u2069')).toBe('pay\\u200bpal\\u2066x\\u2069');
  });

  it('replaces lone surrogates and keeps real pairs', () => {
    expect(safeText('a\uD800b\uDC00c')).toBe('a\uFFFDb\uFFFDc');
    expect(safeText('emoji 😀')).toBe('emoji 😀');
  });

  it('cuts very long text and says how much was left out', () => {
    const out = safeText('x'.repeat(100_000), { maxLength: 200 });
    expect(out).toBe(`${'x'.repeat(200)}…[+99800 chars]`);
  });
});

describe('markdownText', () => {
  it('leaves no HTML, link, image, emphasis or Jira macro to render', () => {
    expect(markdownText('<img src=x onerror=alert(1)>')).toBe('&lt;img src=x onerror=alert(1)&gt;');
    expect(markdownText('[click](http://evil) ![x](y) *b* _i_ `c` {code} ~s~ |t|')).toBe(
      '\\[click\\](http://evil) \\!\\[x\\](y) \\*b\\* \\_i\\_ \\`c\\` \\{code\\} \\~s\\~ \\|t\\|',
    );
  });
});

describe('escapeFormatCharactersInJson', () => {
  it('writes bidi characters as escapes that parse back to the same string', () => {
    const json = escapeFormatCharactersInJson(JSON.stringify({ name: 'a\u202Eb' }));
    expect(json).toBe('{"name":"a\\u202eb"}');
    expect(JSON.parse(json)).toEqual({ name: 'a\u202Eb' });
  });
});
