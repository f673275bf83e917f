import { githubEmulator } from './github/index.js';
import { googleWorkspaceEmulator } from './google-workspace/index.js';
import { microsoft365Emulator } from './microsoft365/index.js';
import type { AnyEmulatorPlatform } from './platform.js';

/** The built-in platform emulators, in routing order. */
export const BUILTIN_EMULATOR_PLATFORMS: AnyEmulatorPlatform[] = [
  githubEmulator,
  microsoft365Emulator,
  googleWorkspaceEmulator,
];
