import { describe, expect, it } from 'vitest';
import { type Column, csvColumnName, fitColumns, renderCsv, renderMarkdown, renderTable } from './format.js';

const columns: Column<{ name: string }>[] = [{ header: 'name', value: (r) => r.name }];

describe('CSV output', () => {
  it.each(['=HYPERLINK("http://x","y")', '+1+1', '-2+3', '@SUM(A1)', '\tcmd'])(
    'neutralises a cell that a spreadsheet would run as a formula: %j',
    (name) => {
      const line = renderCsv([{ name }], columns).split('\n')[1]!;
      const unquoted = line.startsWith('"') ? line.slice(1, -1).replace(/""/g, '"') : line;
      expect(unquoted.startsWith("'")).toBe(true);
      expect(unquoted.slice(1)).toBe(name);
    },
  );

  it('shows a carriage return instead of letting it hide a formula', () => {
    expect(renderCsv([{ name: '\r=1+1' }], columns)).toBe('name\n\\x0d=1+1\n');
  });

  it('leaves ordinary values alone and quotes separators', () => {
    expect(renderCsv([{ name: 'Acme, Inc. "CI"' }, { name: 'plain' }], columns)).toBe(
      'name\n"Acme, Inc. ""CI"""\nplain\n',
    );
  });
});

describe('CSV placeholders and headers', () => {
  it.each(['-', '-3', '+44', '-0.5'])('leaves a placeholder or a plain number alone: %j', (name) => {
    expect(renderCsv([{ name }], columns)).toBe(`name\n${name}\n`);
  });

  it('writes every header in one style, lower snake case', () => {
    expect(csvColumnName('Max risk')).toBe('max_risk');
    expect(csvColumnName('Needs previous scan')).toBe('needs_previous_scan');
    expect(csvColumnName('identity_kind')).toBe('identity_kind');
    expect(
      renderCsv([{ name: 'x' }], [{ header: 'Last used', value: (r: { name: string }) => r.name }]),
    ).toBe('last_used\nx\n');
  });
});

describe('Markdown links', () => {
  const linkColumns: Column<{ url: string }>[] = [
    { header: 'Manage', value: (r) => r.url, linkLabel: 'open' },
  ];
  it('writes an https URL as a link that cannot end early or break the table', () => {
    const md = renderMarkdown([{ url: 'https://example.com/a(b)|c d' }], linkColumns);
    expect(md.split('\n')[2]).toBe('| [open](https://example.com/a%28b%29%7Cc%20d) |');
  });
  it('writes anything else as text', () => {
    const md = renderMarkdown([{ url: 'javascript:alert(1)' }], linkColumns);
    expect(md.split('\n')[2]).toBe('| javascript:alert(1) |');
  });
});

describe('table layout', () => {
  it('keeps narrow columns whole and shares the rest by grow', () => {
    expect(fitColumns([8, 100, 100], [8, 4, 4], 80)).toEqual([8, 36, 36]);
    expect(fitColumns([8, 100, 100], [8, 4, 4], 80, [1, 1, 3])).toEqual([8, 20, 52]);
    expect(fitColumns([8, 10], [8, 4], 80)).toEqual([8, 10]);
  });

  it('wraps a long cell onto more lines instead of cutting it', () => {
    const rows = [{ name: 'alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu' }];
    const text = renderTable(rows, [{ header: 'Name', value: (r: { name: string }) => r.name }], {
      width: 40,
    });
    const lines = text.trimEnd().split('\n');
    expect(lines.length).toBeGreaterThan(2);
    expect(Math.max(...lines.map((l) => l.length))).toBeLessThanOrEqual(40);
    expect(lines.slice(1).join(' ')).toBe(rows[0]!.name);
  });
});
