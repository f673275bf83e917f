import { ConfigError, UsageError } from '../errors.js';

/** The emulator package: its own workspace (src/emulator), with dependencies only it needs. */
export type EmulatorPackage = typeof import('@grantscope/emulator');

const EMULATOR_PACKAGE = '@grantscope/emulator';

/**
 * Loads the emulator package on demand: only `grantscope demo` and `grantscope emulator` need it, so no
 * other command pays for its modules (TLS, GraphQL, the API emulations). Installed with grantscope as an
 * optional peer; without it those two commands say how to add it.
 */
export async function loadEmulator(): Promise<EmulatorPackage> {
  try {
    return await import('@grantscope/emulator');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ERR_MODULE_NOT_FOUND' && String((err as Error).message).includes(EMULATOR_PACKAGE)) {
      throw new UsageError(
        `the demo and the emulator need the ${EMULATOR_PACKAGE} package, which is not installed: install it beside grantscope (npm install ${EMULATOR_PACKAGE})`,
        { cause: err },
      );
    }
    throw err;
  }
}

/**
 * Runs `work` with the emulator package loaded. A world file the emulator refuses becomes a
 * configuration error, as any other file grantscope reads (exit code 2, file, key and line named).
 */
export async function withEmulator<T>(work: (emulator: EmulatorPackage) => Promise<T>): Promise<T> {
  const emulator = await loadEmulator();
  try {
    return await work(emulator);
  } catch (err) {
    if (err instanceof emulator.WorldError) throw new ConfigError(err.file, err.issues, { cause: err });
    throw err;
  }
}
