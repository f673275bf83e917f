import { describe, expect, it } from 'vitest';
import { timestamp } from './records.js';

/** What `timestamp` returned before its shortcut: every input goes through a Date. */
function viaDate(value: string): string | null {
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? null : d.toISOString().replace('.000Z', 'Z');
}

describe('timestamp (Graph → model form)', () => {
  it('returns what the Date round trip returns, for timestamps the shortcut takes and those it must not', () => {
    const edges = [
      '2024-06-10T00:35:57Z',
      '0000-01-01T00:00:00Z',
      '9999-12-28T23:59:59Z',
      '1969-12-31T23:59:59Z',
      '2024-02-29T10:00:00Z', // leap day
      '2023-02-29T10:00:00Z', // not a leap year
      '2023-02-30T10:00:00Z',
      '2023-04-31T10:00:00Z',
      '2023-13-01T10:00:00Z',
      '2023-00-10T10:00:00Z',
      '2023-01-00T10:00:00Z',
      '2023-01-10T24:00:00Z', // the end of the day: the next day's midnight
      '2023-01-10T23:60:00Z',
      '2023-01-10T23:59:60Z',
      '2023-01-10T10:00:00.1234567Z',
      '2023-01-10T10:00:00.000Z',
      '2023-01-10T10:00:00+02:00',
      '2023-01-10T10:00:00',
      '2023-01-10t10:00:00z',
      '2023-01-10 10:00:00Z',
      '+002023-01-10T10:00:00Z',
      '2023-01-10T10:00:00Z ',
      'not a date',
    ];
    const generated: string[] = [];
    const two = (n: number) => String(n).padStart(2, '0');
    for (let i = 0; i < 2000; i++) {
      // A spread of fields just inside and just outside their ranges.
      const y = String((i * 7919) % 10000).padStart(4, '0');
      const mo = two(i % 14);
      const d = two((i * 31) % 33);
      const h = two((i * 13) % 26);
      const mi = two((i * 17) % 62);
      const s = two((i * 19) % 62);
      generated.push(`${y}-${mo}-${d}T${h}:${mi}:${s}Z`);
    }
    for (const v of [...edges, ...generated]) expect([v, timestamp(v)]).toEqual([v, viaDate(v)]);
  });

  it('is null when absent', () => {
    expect(timestamp(null)).toBeNull();
    expect(timestamp(undefined)).toBeNull();
    expect(timestamp('')).toBeNull();
  });
});
