/**
 * grantscope as a library: the model, the connector interface (for plugins), the store, scanning,
 * diffing and rules. The CLI (src/cli) is built from these. The emulator is a package of its own
 * (`@grantscope/emulator`, src/emulator).
 */

export { analyseScan, computeDiff, computeFindings, type ScanAnalysis } from './analysis/analyse.js';
export { type ConfiguredConnector, type LoadedConfig, loadConfig } from './config/config.js';
export * from './connector/index.js';
export { loadConnectors, loadVocabulary } from './connector/registry.js';
export { applyDiff, diffChanges, diffRecords, type SnapshotDiff } from './diff/index.js';
export * from './errors.js';
export { type Finding, type FindingDraft, Severity } from './findings/finding.js';
export { GovernanceFileError, loadGovernance, parseGovernance } from './governance/load.js';
export { EMPTY_GOVERNANCE, type Governance, type IdentityMatch } from './governance/model.js';
export { createLogger, type Logger } from './log/logger.js';
export * from './model/index.js';
export { defaultPolicy, loadPolicy, type Policy } from './policy/index.js';
export { riskCatalog } from './risk/catalog.js';
export { evaluateRules } from './rules/index.js';
export { type RunScanOptions, runScan, type ScanOutcome } from './scan/run-scan.js';
export { selectionCoverage } from './selection/describe-selection.js';
export {
  type ScanSelection,
  selectNewestOfEachSource,
  selectOneScan,
  staleSources,
} from './selection/scan-selection.js';
export { readSelectedFindings, readSelectedSnapshot } from './selection/selection-reads.js';
export { openStore } from './store/open.js';
export type {
  IdentityBundle,
  RecordChange,
  ScanSummary,
  ScanWriter,
  SnapshotStore,
  SourceScan,
} from './store/store.js';
export { TOOL_VERSION } from './version.js';
