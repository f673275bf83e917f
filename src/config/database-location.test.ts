import { describe, expect, it } from 'vitest';
import { DATABASE_URL_ENV, databaseFromEnv, isDatabaseUrl, resolveDatabase } from './database-location.js';

describe('database location', () => {
  it('keeps PostgreSQL URLs as written and resolves SQLite paths against the config folder', () => {
    expect(resolveDatabase('postgres://gs@db:5432/grantscope', '/etc/gs')).toBe(
      'postgres://gs@db:5432/grantscope',
    );
    expect(resolveDatabase('postgresql://gs@db/grantscope', '/etc/gs')).toBe('postgresql://gs@db/grantscope');
    expect(resolveDatabase('grantscope.db', '/etc/gs')).toBe('/etc/gs/grantscope.db');
    expect(isDatabaseUrl('./postgres.db')).toBe(false);
  });

  it('reads GRANTSCOPE_DATABASE_URL, ignoring an empty value', () => {
    expect(databaseFromEnv({ [DATABASE_URL_ENV]: 'postgres://gs@db/x' })).toBe('postgres://gs@db/x');
    expect(databaseFromEnv({ [DATABASE_URL_ENV]: '  ' })).toBeNull();
    expect(databaseFromEnv({})).toBeNull();
  });
});
