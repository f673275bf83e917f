import { describe, expect, it } from 'vitest';
import { type Column, renderCsv } from './format.js';

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
