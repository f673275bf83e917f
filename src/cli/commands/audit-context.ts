import { resolve } from 'node:path';
import { computeFindings } from '../../analysis/analyse.js';
import { resolveGovernance } from '../../analysis/governance-source.js';
import { resolvePolicy } from '../../analysis/policy-source.js';
import { readConfigFile } from '../../config/config.js';
import type { Finding } from '../../findings/finding.js';
import type { Governance } from '../../governance/model.js';
import { asSelection, type ScanSelection } from '../../selection/scan-selection.js';
import type { ScanSummary, SnapshotStore } from '../../store/store.js';
import { type CommonOptions, configPath, loadVocabularyFor, parseAsOf } from '../runtime.js';

/** The options `report` and `evidence` share with `findings`: which policy and governance judge a scan. */
export interface AuditOptions extends CommonOptions {
  scan?: string;
  asOf?: string;
  policy?: string;
  governance?: string;
}

/** The policy and governance in force, and the files they came from, as `findings` resolves them. */
export interface AuditContext {
  policyFile: string | null;
  governance: Governance;
  /** Judge scan `scan` (or a selection): its findings as `grantscope findings --format json` lists them. */
  findingsOf(
    store: SnapshotStore,
    scan: ScanSummary | ScanSelection,
  ): Promise<{ asOf: Date; findings: Finding[] }>;
}

export async function loadAuditContext(opts: AuditOptions): Promise<AuditContext> {
  const cfg = configPath(opts);
  const settings = cfg && (!opts.policy || !opts.governance) ? readConfigFile(cfg).settings : null;
  const policyFile = opts.policy
    ? resolve(opts.policy)
    : cfg && settings?.policy
      ? resolve(cfg, '..', settings.policy)
      : null;
  const governance = resolveGovernance(
    opts.governance ?? (cfg && settings?.governance ? resolve(cfg, '..', settings.governance) : null),
  );
  const vocabulary = await loadVocabularyFor(opts);
  const policy = resolvePolicy(policyFile, vocabulary);
  return {
    policyFile,
    governance,
    async findingsOf(store, scan) {
      const asOf = parseAsOf(opts.asOf, new Date(asSelection(scan).newest.startedAt));
      return { asOf, findings: await computeFindings(store, scan, { policy, asOf, vocabulary, governance }) };
    },
  };
}
