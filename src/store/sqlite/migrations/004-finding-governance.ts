/**
 * Schema version 4: what the governance file said of each finding when it was last recorded (owner,
 * approval, exception and whether it is excepted), as JSON. NULL when nothing was said. Frozen once
 * released, like every migration.
 */
export const findingGovernanceSchema = `
ALTER TABLE findings ADD COLUMN governance TEXT;
`;
