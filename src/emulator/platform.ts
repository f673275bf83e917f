import type { FaultInjector } from './faults.js';
import type { EmulatorLimits } from './limits.js';
import type { Route } from './router.js';

/** Keys and secrets the scanner uses, generated once per emulator and stable across world switches. */
export interface EmulatorKeys {
  /** An RSA key pair (2048-bit, PEM: PKCS#8 private, SPKI public), memoised by name. */
  rsa(name: string): { privateKeyPem: string; publicKeyPem: string };
  /** A random opaque secret, memoised by name. */
  secret(name: string): string;
}

export interface EmulatorContext {
  /** The emulator's fixed clock: relative world dates were resolved against it. */
  readonly now: Date;
  /** `https://127.0.0.1:PORT` once listening. */
  readonly origin: () => string;
  readonly keys: EmulatorKeys;
  /**
   * The emulator's fault rules, for platforms that dispatch requests themselves (Graph `$batch`
   * inner requests), so a fault rule can hit one inner request. Optional: absent in contexts built
   * outside `startEmulator`.
   */
  readonly faults?: FaultInjector;
  /** Quota limits enforced (./limits.ts); absent: unlimited. Platforms with budgets of their own size them from it. */
  readonly limits?: EmulatorLimits;
}

/** What the scanner needs to talk to this platform on the emulator. */
export interface ClientSetup {
  /** grantscope.yaml section (connector id → config); relative file names refer to `files`. */
  config: Record<string, unknown>;
  /** Files to write next to grantscope.yaml (private keys, secret files): name → content. */
  files: Record<string, string>;
}

/**
 * One platform's part of the emulator. The module owns its world section's schema and its routes;
 * nothing else in the emulator knows the platform's API.
 */
export interface EmulatorPlatform<State = unknown> {
  /** World section key, which is also the connector id (e.g. `github`). */
  readonly key: string;
  /** Validate the world section (dates already resolved) and build the state served. */
  load(section: unknown, ctx: EmulatorContext, file: string): State;
  /** Routes, registered once. `state()` is the current world's state, or undefined if absent (→ 404). */
  routes(state: () => State | undefined, ctx: EmulatorContext): Route[];
  /** Config and files the scanner needs for this platform and world. */
  clientSetup(state: State, ctx: EmulatorContext): ClientSetup;
}

/** A platform module of any state type, for the list of platforms. */
// biome-ignore lint/suspicious/noExplicitAny: the state type is private to each module
export type AnyEmulatorPlatform = EmulatorPlatform<any>;
