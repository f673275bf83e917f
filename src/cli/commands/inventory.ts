import { resolve } from 'node:path';
import type { Command } from 'commander';
import { resolveGovernance } from '../../analysis/governance-source.js';
import { readConfigFile } from '../../config/config.js';
import { UsageError } from '../../errors.js';
import { EMPTY_GOVERNANCE } from '../../governance/model.js';
import { readPeopleDirectory, registeredAccounts } from '../../governance/people.js';
import { ReviewsInForce } from '../../governance/reviews-in-force.js';
import type { OutputFormat } from '../../output/format.js';
import { renderInventory } from '../../output/views/inventory.js';
import { coverageLine, staleWarnings } from '../../selection/describe-selection.js';
import { scanOfSource } from '../../selection/scan-selection.js';
import { readSelectedSnapshot } from '../../selection/selection-reads.js';
import type { IdentityBundle } from '../../store/store.js';
import {
  addCommonOptions,
  type CommonOptions,
  configPath,
  createRuntime,
  loadVocabularyFor,
  openExistingStore,
  parseScanId,
} from '../runtime.js';
import { SCAN_OPTION_HELP, selectScans } from './select-scan.js';

interface InventoryOptions extends CommonOptions {
  scan?: string;
  platform?: string;
  tenant?: string;
  kind?: string[];
  raw?: boolean;
  governance?: string;
}

export function inventoryCommand(program: Command): void {
  const cmd = program
    .command('inventory')
    .summary('list every identity with its grants and credentials')
    .description(
      'List the non-human identities in the stored snapshots with their grants and credentials: by default ' +
        'each platform and tenant as of its newest scan (the latest scan, when one scan covered them all; a ' +
        'whole round when a queue scanned one tenant per scan); --scan N reads one scan. The table shows one ' +
        'line per identity; json nests grants and credentials.',
    )
    .option('--scan <id>', SCAN_OPTION_HELP)
    .option('--platform <platform>', 'only this platform')
    .option('--tenant <tenant>', 'only this tenant (org login, tenant id, customer id)')
    .option('--kind <kind...>', 'only these identity kinds (e.g. github-app-installation service-principal)')
    .option('--raw', 'include the raw API objects in json output')
    .option(
      '--governance <path>',
      "governance file or folder: registered owners, approvals, exceptions, retirement per identity (default: the config's `governance`)",
    );
  addCommonOptions(cmd);
  cmd.addHelpText(
    'after',
    `
Examples:
  $ grantscope inventory
  $ grantscope inventory --platform microsoft365 --kind service-principal
  $ grantscope inventory --format json | jq '.[] | select(.origin == "third-party") | .displayName'
  $ grantscope inventory --scan 3 --format csv -o inventory.csv   # one scan only

When the tenants were read from more than one scan, the table starts with a "Scans read" line, json
entries carry the scanId each was read from, and a tenant whose newest scan is more than 7 days older
than the newest one is warned about on stderr.`,
  );
  cmd.action(async (opts: InventoryOptions) => {
    const rt = createRuntime(opts);
    const cfg = configPath(opts);
    const configured = !opts.governance && cfg ? readConfigFile(cfg).settings.governance : undefined;
    const governance = resolveGovernance(
      opts.governance ?? (configured && cfg ? resolve(cfg, '..', configured) : null),
    );
    const store = await openExistingStore(opts);
    try {
      const selection = await selectScans(store, parseScanId(opts.scan, '--scan'));
      for (const warning of staleWarnings(selection)) rt.logger.warn(warning);
      const scanOf = scanOfSource(selection);
      const bundles: IdentityBundle[] = [];
      for await (const b of readSelectedSnapshot(store, selection, {
        platform: opts.platform,
        tenant: opts.tenant,
        kinds: opts.kind,
      })) {
        bundles.push(b);
      }
      await checkFilterValues(opts, bundles);
      const reviews = await ReviewsInForce.load(store, governance === EMPTY_GOVERNANCE ? null : governance);
      const withGovernance =
        governance === EMPTY_GOVERNANCE
          ? {}
          : {
              governance: {
                file: governance,
                people: await readPeopleDirectory(store, selection, registeredAccounts(governance)),
              },
            };
      rt.emit(
        renderInventory(bundles, opts.format as OutputFormat, {
          raw: opts.raw,
          ...(reviews.empty ? {} : { reviews }),
          ...withGovernance,
          ...(selection.scans.length > 1 && {
            scans: {
              of: (source: string) => scanOf.get(source)?.id,
              line: coverageLine(selection),
            },
          }),
        }),
      );
    } finally {
      await store.close();
    }
  });
}

/**
 * A `--kind` or `--platform` that neither a loaded connector knows nor the snapshot holds is a typo,
 * not an empty result. The connectors' vocabularies are loaded only to tell a typo apart.
 */
async function checkFilterValues(opts: InventoryOptions, bundles: readonly IdentityBundle[]): Promise<void> {
  const held = new Set(bundles.map((b) => b.identity?.kind));
  const kinds = (opts.kind ?? []).filter((kind) => !held.has(kind));
  const platform = bundles.length === 0 ? opts.platform : undefined;
  if (kinds.length === 0 && platform === undefined) return;
  const vocabulary = await loadVocabularyFor(opts);
  for (const kind of kinds) {
    if (!vocabulary.identityKinds.has(kind)) {
      throw new UsageError(
        `--kind: unknown identity kind '${kind}' (known: ${[...vocabulary.identityKinds.keys()].join(', ')})`,
      );
    }
  }
  if (platform !== undefined && !vocabulary.platforms.includes(platform)) {
    throw new UsageError(
      `--platform: unknown platform '${platform}' (known: ${vocabulary.platforms.join(', ')})`,
    );
  }
}
