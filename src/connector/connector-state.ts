import type { ConnectorStateValue, ConnectorStateWrite } from '../store/store.js';
import { activeCollector, type CoverageReport, isAuthoritative } from './coverage.js';

/**
 * What a connector keeps from one scan of its source to the next: a Graph delta link, the time the
 * Reports API was last read. Never a secret (it is stored in plain text, like the records).
 */
export interface ConnectorState {
  /**
   * The value the previous scan of this source committed, with that scan's id; undefined on a first
   * scan and when the user asked for a full resync (`grantscope scan --full`).
   */
  get(key: string): ConnectorStateValue | undefined;
  /**
   * Keep `value` for the next scan (null forgets the key). Committed with this scan, and only if the
   * collector that set it (the one whose fetch is running) completes: a failed read never advances a
   * delta link past data that was not stored.
   */
  set(key: string, value: string | null): void;
  /** True when stored state is ignored this scan (`--full`). */
  readonly fullResync: boolean;
}

/** No stored state: every read is a full one. */
export const NO_CONNECTOR_STATE: ConnectorState = {
  get: () => undefined,
  set: () => {},
  fullResync: false,
};

/** The state of one source during a scan: what the previous scan kept, and what this one sets. */
export class ConnectorStateTracker implements ConnectorState {
  private readonly writes = new Map<string, { collector: string | undefined; value: string | null }>();

  constructor(
    private readonly source: string,
    private readonly stored: ReadonlyMap<string, ConnectorStateValue>,
    readonly fullResync = false,
  ) {}

  get(key: string): ConnectorStateValue | undefined {
    return this.fullResync ? undefined : this.stored.get(key);
  }

  set(key: string, value: string | null): void {
    this.writes.set(key, { collector: activeCollector(), value });
  }

  /**
   * What to commit, given the source's coverage: values set by collectors that did not finish
   * (failed, unavailable) are dropped, and so the previous value stays for the next scan.
   */
  toCommit(coverage: CoverageReport): ConnectorStateWrite[] {
    const finished = new Set(
      coverage.collectors.filter((c) => isAuthoritative(c.status)).map((c) => c.collector),
    );
    const out: ConnectorStateWrite[] = [];
    for (const [key, w] of this.writes) {
      if (w.collector !== undefined && !finished.has(w.collector)) continue;
      out.push({ source: this.source, key, value: w.value });
    }
    return out;
  }
}
