import { githubEmulator } from './github/index.js';
import type { EmulatorPlatform } from './platform.js';

/** The built-in platform emulators, in routing order. */
export const BUILTIN_EMULATOR_PLATFORMS: EmulatorPlatform<any>[] = [githubEmulator];
