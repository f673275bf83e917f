import { resolve } from 'node:path';

/** The environment variable that names the database for every command (over `database:` in the config). */
export const DATABASE_URL_ENV = 'GRANTSCOPE_DATABASE_URL';

/** Whether `value` names a PostgreSQL database (`postgres://` or `postgresql://`) rather than a SQLite file. */
export function isDatabaseUrl(value: string): boolean {
  return /^postgres(ql)?:\/\//i.test(value);
}

/** A SQLite path is resolved against `baseDir` (the config file's folder); a URL is kept as written. */
export function resolveDatabase(value: string, baseDir: string): string {
  return isDatabaseUrl(value) ? value : resolve(baseDir, value);
}

/** `GRANTSCOPE_DATABASE_URL` when set and not empty. */
export function databaseFromEnv(env: NodeJS.ProcessEnv = process.env): string | null {
  const value = env[DATABASE_URL_ENV]?.trim();
  return value ? value : null;
}
