/**
 * The liveness of a `running` scan whose writer another machine cannot check by pid (schema 8).
 *
 * The process writing a scan stamps `scans.heartbeat_at` every SCAN_HEARTBEAT_MS. A later scan, read or
 * open that sees a `running` scan of another host whose heartbeat is older than SCAN_STALE_MS marks it
 * `failed`: its process died (SIGKILL, a lost machine) and its transaction was rolled back, so it can
 * never complete. On the writer's own host the pid says it at once (`writerIsGone`).
 *
 * PostgreSQL stamps and compares with the server's clock, so hosts' clocks need not agree. SQLite stops
 * stamping once the scan's write transaction holds the file's write lock (a stamp would wait on that very
 * lock), and judges staleness only while it holds the write lock itself: then no scan's transaction is
 * open anywhere, and a live scan that has not written yet still stamps.
 */
export const SCAN_HEARTBEAT_MS = 30_000;

/** Four missed heartbeats. */
export const SCAN_STALE_MS = 4 * SCAN_HEARTBEAT_MS;

/** The `failure` of a scan marked failed for a stale heartbeat. */
export function staleScanFailure(row: {
  writer_pid: number | null;
  writer_host: string | null;
  heartbeat_at: string | null;
}): string {
  return `abandoned: no heartbeat from process ${row.writer_pid ?? '?'} on ${row.writer_host ?? 'an unknown host'} since ${row.heartbeat_at ?? 'it started'}; its writes were rolled back`;
}

/** Calls `beat` every SCAN_HEARTBEAT_MS until stopped; never keeps the process alive on its own. */
export function startHeartbeat(beat: () => unknown): { stop(): void } {
  const timer = setInterval(() => {
    try {
      const r = beat();
      if (r instanceof Promise) r.catch(() => {});
    } catch {
      // A missed beat is retried at the next tick; four in a row and others may take the scan for dead.
    }
  }, SCAN_HEARTBEAT_MS);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
