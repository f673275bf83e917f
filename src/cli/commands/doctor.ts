import { resolve } from 'node:path';
import type { Command } from 'commander';
import { isEngineKey, loadConfig, readConfigFile } from '../../config/config.js';
import { BUILTIN_CONNECTOR_IDS, loadConnectors } from '../../connector/registry.js';
import { checkConfig } from '../../doctor/check-config.js';
import { checkDatabase } from '../../doctor/check-database.js';
import { checkTenant } from '../../doctor/check-tenants.js';
import type { DoctorReport } from '../../doctor/doctor-check.js';
import { EXIT, UsageError } from '../../errors.js';
import type { OutputFormat } from '../../output/format.js';
import { renderDoctor } from '../../output/views/doctor.js';
import {
  addCommonOptions,
  type CommonOptions,
  configPath,
  createRuntime,
  DEFAULT_CONFIG_FILE,
} from '../runtime.js';

interface DoctorOptions extends CommonOptions {
  only?: string[];
}

export function doctorCommand(program: Command): void {
  const cmd = program
    .command('doctor')
    .summary('check the config, the database and every permission each collector needs')
    .description(
      'Check that each configured tenant can be reached and signed in to, and that every collector holds ' +
        'the permission, scope or GitHub App permission it needs: read from the token where the platform ' +
        'says (GitHub App installation permissions, the Entra roles claim), else with one small read per ' +
        'API. Also checks the database (writable, schema version) and the config (files it names, unused ' +
        'sections). Reads nothing else and stores nothing. Exits 1 when anything is missing.',
    )
    .option('--only <connector...>', 'check only these connectors (ids, e.g. github)');
  addCommonOptions(cmd);
  cmd.addHelpText(
    'after',
    `
Examples:
  $ grantscope doctor                          # ./grantscope.yaml
  $ grantscope doctor -c prod.yaml --only github
  $ grantscope doctor --format json | jq '.checks[] | select(.state == "missing")'

Exit codes: 0 everything needed is held, 1 something is missing, 2 usage or config error.
See docs/doctor.md.`,
  );
  cmd.action(async (opts: DoctorOptions) => {
    const rt = createRuntime(opts);
    const file = configPath(opts);
    if (!file)
      throw new UsageError(
        `no config file: pass --config <file> or create ./${DEFAULT_CONFIG_FILE} (\`grantscope init\` writes one)`,
      );
    const { parsed, settings } = readConfigFile(file);
    const connectors = await loadConnectors(settings.plugins, { configFile: file });
    const plugins = connectors.slice(BUILTIN_CONNECTOR_IDS.length);
    const pluginIds = new Map(settings.plugins.map((spec, i) => [spec, plugins[i]!.id]));
    const config = loadConfig(file, connectors);
    const raw = Object.fromEntries(
      Object.entries(parsed.value as Record<string, unknown>).filter(([k]) => !isEngineKey(k)),
    );
    const database = opts.db ? resolve(opts.db) : config.database;
    const selected = opts.only
      ? config.connectors.filter((c) => opts.only!.includes(c.connector.id))
      : config.connectors;
    if (opts.only && selected.length === 0)
      throw new UsageError(`no configured connector matches --only ${opts.only.join(' ')}`);
    const controller = new AbortController();
    const onSignal = () => controller.abort(new Error('interrupted by signal'));
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    try {
      const checks = [...checkConfig(config, raw, pluginIds), ...(await checkDatabase(database))];
      for (const cc of selected) {
        checks.push(
          ...(await checkTenant(cc, {
            configDir: config.dir,
            http: {
              caFile: config.caFile,
              timeoutMs: config.settings.http.timeoutSeconds * 1000,
              retry: { maxRetries: Math.min(config.settings.http.maxRetries, 1) },
            },
            concurrency: config.settings.concurrency,
            logger: rt.logger,
            signal: controller.signal,
          })),
        );
      }
      const report: DoctorReport = {
        configFile: config.file,
        database,
        checks,
        ok: checks.every((c) => c.state !== 'missing'),
      };
      rt.emit(renderDoctor(report, opts.format as OutputFormat, { color: rt.color }));
      process.exitCode = report.ok ? EXIT.ok : EXIT.findings;
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
  });
}
