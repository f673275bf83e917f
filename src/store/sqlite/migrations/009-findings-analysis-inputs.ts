/**
 * Schema version 9: `finding_sources.analysis_inputs`, a digest of what the source's newest findings
 * recording was evaluated with (tool version, policy, vocabulary: src/analysis/analysis-inputs.ts), or
 * NULL. A rescan whose inputs are the same may carry forward the findings of identities whose records
 * did not change instead of evaluating them again (src/analysis/findings-reuse.ts). Frozen once
 * released, like every migration.
 */
export const findingsAnalysisInputsSchema = `
ALTER TABLE finding_sources ADD COLUMN analysis_inputs TEXT;
`;
