/** One line of the benchmark table. */
export interface BenchRow {
  /** What was measured, e.g. `store: write 1M grants`. */
  name: string;
  /** The quantity, e.g. `seconds`, `peak RSS`. */
  metric: string;
  value: number | string;
  unit?: string;
  /** The goal, e.g. `< 20` (in `unit`). Rows whose target has the form `< N` / `<= N` are checked. */
  target?: string;
}

/** A benchmark module (`bench/<name>.bench.ts`) default-exports this. */
export type Bench = () => Promise<BenchRow[]>;
