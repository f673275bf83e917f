import { describe, expect, it } from 'vitest';
import { UsageError } from '../errors.js';
import { parseAsOf } from './runtime.js';

const fallback = new Date('2026-01-01T00:00:00Z');

describe('--as-of', () => {
  it.each([
    ['2026-03-01', '2026-03-01T00:00:00.000Z'],
    ['2026-03-01T12:30:00Z', '2026-03-01T12:30:00.000Z'],
    ['2026-03-01T12:30:15.250+02:00', '2026-03-01T10:30:15.250Z'],
    ['2024-02-29', '2024-02-29T00:00:00.000Z'],
  ])('reads %s', (value, iso) => {
    expect(parseAsOf(value, fallback).toISOString()).toBe(iso);
  });

  it('falls back when absent', () => {
    expect(parseAsOf(undefined, fallback)).toBe(fallback);
  });

  it.each([
    ['-1', /not a date/],
    ['2026-02-30', /no such day/],
    ['2025-02-29', /no such day/],
    ['2026-13-01', /no such day/],
    ['99999-01-01', /not a date/],
    ['1969-12-31', /year out of range/],
    ['2026-03-01T25:00Z', /no such time/],
    ['yesterday', /not a date/],
    ['', /not a date/],
  ])('refuses %s', (value, why) => {
    expect(() => parseAsOf(value, fallback)).toThrow(UsageError);
    expect(() => parseAsOf(value, fallback)).toThrow(why);
  });
});
