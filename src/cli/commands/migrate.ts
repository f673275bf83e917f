import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { isDatabaseUrl } from '../../config/database-location.js';
import { UsageError } from '../../errors.js';
import { type Column, renderJson, renderRows } from '../../output/format.js';
import { redactedUrl } from '../../store/postgres/index.js';
import { addCommonOptions, type CommonOptions, createRuntime } from '../runtime.js';

interface MigrateOptions extends CommonOptions {
  from: string;
  to: string;
  replace?: boolean;
}

interface CountRow {
  table: string;
  source: number;
  target: number;
}

const COLUMNS: Column<CountRow>[] = [
  { header: 'Table', value: (r) => r.table },
  { header: 'SQLite rows', value: (r) => r.source, align: 'right' },
  { header: 'PostgreSQL rows', value: (r) => r.target, align: 'right' },
];

export function migrateCommand(program: Command): void {
  const cmd = program
    .command('migrate')
    .summary('copy the whole history of a SQLite database into PostgreSQL')
    .description(
      'Copy every scan, record version, finding, person, review, ticket and sync of a SQLite database ' +
        'into a PostgreSQL database, keeping every id (scan numbers stay the same), in one transaction: if ' +
        'anything fails, the target is left as it was. Row counts are compared per table before committing ' +
        'and printed. A target that already holds grantscope data is refused unless --replace.',
    )
    .requiredOption('--from <file>', 'the SQLite database to copy (it is only read)')
    .requiredOption('--to <url>', 'the PostgreSQL database (postgres://user@host:5432/db)')
    .option('--replace', 'empty the target first if it already holds grantscope data');
  addCommonOptions(cmd, { formats: ['table', 'json'] });
  cmd.addHelpText(
    'after',
    `
Examples:
  $ grantscope migrate --from grantscope.db --to postgres://grantscope@db.internal:5432/grantscope
  $ grantscope migrate --from old.db --to "$GRANTSCOPE_DATABASE_URL" --replace --format json

Then set \`database: postgres://…\` in grantscope.yaml (or GRANTSCOPE_DATABASE_URL). Stop scans
writing to the SQLite file while it is copied: what they write after the copy began is not copied.

Exit codes: 0 copied and verified, 2 usage error (no such file, not a grantscope database, target not
empty), 4 the copy failed (nothing was kept on the target).`,
  );
  cmd.action(async (opts: MigrateOptions) => {
    const rt = createRuntime(opts);
    const from = resolve(opts.from);
    if (isDatabaseUrl(opts.from)) throw new UsageError('--from: a SQLite file, not a URL');
    if (!existsSync(from)) throw new UsageError(`--from ${from}: no such file`);
    if (!isDatabaseUrl(opts.to)) throw new UsageError(`--to: expected a postgres:// URL, not '${opts.to}'`);
    const { copySqliteToPostgres } = await import('../../store/copy/sqlite-to-postgres.js');
    const task = 'copying';
    rt.progress.start(task, undefined, 'rows');
    let last = 0;
    const counts = await copySqliteToPostgres(from, opts.to, {
      replace: opts.replace === true,
      onRows: (_table, copied) => {
        if (copied < last) last = 0;
        rt.progress.tick(task, copied - last);
        last = copied;
      },
    }).finally(() => rt.progress.done(task));
    const to = redactedUrl(opts.to);
    if (opts.format === 'json') rt.emit(renderJson({ from, to, tables: counts }));
    else {
      rt.emit(renderRows('table', counts, COLUMNS));
      const total = counts.reduce((a, c) => a + c.target, 0);
      rt.emit(`\ncopied ${total} rows from ${from} to ${to}; counts verified per table\n`);
    }
  });
}
