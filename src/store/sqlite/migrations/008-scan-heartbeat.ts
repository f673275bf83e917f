/**
 * Schema version 8: `scans.heartbeat_at`, stamped by the process writing a `running` scan (see
 * src/store/scan-heartbeat.ts), so that a scan whose process died on another host is seen as abandoned
 * and marked failed. Running scans of earlier versions start from their start time. Frozen once
 * released, like every migration.
 */
export const scanHeartbeatSchema = `
ALTER TABLE scans ADD COLUMN heartbeat_at TEXT;
UPDATE scans SET heartbeat_at = started_at WHERE status = 'running';
`;
