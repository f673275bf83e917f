/** One problem in a world file: the key path, the line when known, and what is wrong. */
export interface WorldIssue {
  path: string;
  line: number | null;
  message: string;
}

/**
 * A world file the emulator cannot serve: names the file, the key path and the line. The message reads
 * like grantscope's configuration errors, whose CLI turns this error into one of them (exit code 2).
 */
export class WorldError extends Error {
  readonly code = 'WORLD_INVALID';
  constructor(
    readonly file: string,
    readonly issues: ReadonlyArray<WorldIssue>,
    options?: { cause?: unknown },
  ) {
    super(
      `${file}: invalid configuration\n${issues
        .map((i) => `  ${i.line != null ? `line ${i.line}: ` : ''}${i.path ? `${i.path}: ` : ''}${i.message}`)
        .join('\n')}`,
      options,
    );
    this.name = 'WorldError';
  }
}
