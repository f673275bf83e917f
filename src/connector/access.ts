import type { ConnectorContext } from './context.js';

/** What a check found: held, not held, or not knowable from outside (e.g. a licence, an empty list). */
export type AccessState = 'granted' | 'missing' | 'unknown';

/**
 * One permission a collector needs, as `grantscope doctor` shows it. A connector finds these the
 * cheapest way its platform allows (a token's claims, one small read) inside `checkAccess`; the engine
 * only renders them, so a plugin platform gets the same report by implementing it.
 */
export interface AccessCheck {
  /** The collector that needs it, or {@link CONNECTION_CHECK} for reaching and signing in to the tenant. */
  collector: string;
  /** The permission, scope or role as the platform names it (`Organization permission "Members: read"`). */
  needed: string;
  state: AccessState;
  /** Where and what to grant, in the platform's words (shown when it is not `granted`). */
  fix?: string | undefined;
  /** The vendor page that says how to grant it. */
  link?: string | undefined;
  /** How the state was found: the token's claims, or the call made and what it answered. */
  evidence?: string | undefined;
}

/** `collector` of the checks that are about the tenant as a whole: connectivity and authentication. */
export const CONNECTION_CHECK = '(connection)';

/** A file a connector's config section names (a key, a secret), for `doctor` to check it can be read. */
export interface ConfigFileReference {
  /** The config key, relative to the section (`app.privateKeyFile`). */
  key: string;
  /** The path as written (relative paths are resolved against the config file's folder). */
  path: string;
}

/**
 * What a connector may add for `grantscope doctor` (both optional; `Connector` extends it). Without
 * `checkAccess`, doctor opens a session with `connect` and reports each collector's permissions as
 * `unknown`.
 */
export interface AccessCapability<Config> {
  /**
   * Whether the tenant can be reached, the credentials are accepted, and each collector's permission
   * is held. Reads nothing it does not need; never returns or logs a secret. Throws when the tenant
   * cannot be reached or the credentials are refused (doctor reports that as the connection check).
   */
  checkAccess?(config: Config, ctx: ConnectorContext): Promise<AccessCheck[]>;
  /** The files the section names (key files, secret files), so that doctor can say which cannot be read. */
  configFiles?(config: Config): ConfigFileReference[];
}
