/**
 * A module a command needs only late (a scan's analysis and output, after the collection), imported on
 * first need, or earlier by `preload()` once the process is waiting on the network anyway. Importing such
 * a module at start-up delays the command's first request by its load time (hundreds of files on a scan);
 * importing it only when needed adds that time at the end.
 */
export interface DeferredModule<T> {
  /** Start importing now, without waiting; a failure is reported by the next `load()`. */
  preload(): void;
  /** The module: the import `preload()` started, or a new one. */
  load(): Promise<T>;
}

export function deferredModule<T>(importModule: () => Promise<T>): DeferredModule<T> {
  let pending: Promise<T> | undefined;
  const load = () => {
    pending ??= importModule();
    return pending;
  };
  return {
    preload() {
      // Nobody may await a preload (the scan can fail before it ends): its rejection is load()'s to report.
      load().catch(() => {});
    },
    load,
  };
}
