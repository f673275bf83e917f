/**
 * Typed errors. Each carries the context a user needs to act on it (file and line, config key,
 * API and status code) and the process exit code the CLI maps it to.
 */
export const EXIT = {
  ok: 0,
  findings: 1,
  usage: 2,
  incomplete: 3,
  /** Unexpected failure (a bug, a crash, a store that cannot be opened). */
  internal: 4,
  /** `worker --drain`: a job this worker ran failed on its last attempt. */
  jobsFailed: 5,
  /** Interrupted by SIGINT (Ctrl-C): 128 + 2, as shells expect. */
  interrupted: 130,
  /** Stopped by SIGTERM (a service manager, `docker stop`, a CronJob deadline): 128 + 15. */
  terminated: 143,
} as const;

export abstract class GrantscopeError extends Error {
  abstract readonly code: string;
  readonly exitCode: number = EXIT.internal;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A problem in a config or policy file: names the file, the key path and the line. */
export class ConfigError extends GrantscopeError {
  readonly code = 'CONFIG_INVALID';
  override readonly exitCode = EXIT.usage;
  constructor(
    readonly file: string,
    readonly issues: ReadonlyArray<{ path: string; line: number | null; message: string }>,
    options?: { cause?: unknown },
  ) {
    super(
      `${file}: invalid configuration\n${issues
        .map((i) => `  ${i.line != null ? `line ${i.line}: ` : ''}${i.path ? `${i.path}: ` : ''}${i.message}`)
        .join('\n')}`,
      options,
    );
  }
}

/** Bad command-line usage. */
export class UsageError extends GrantscopeError {
  readonly code = 'USAGE';
  override readonly exitCode = EXIT.usage;
}

/** The work was interrupted by a signal; nothing partial was stored. */
export class InterruptedError extends GrantscopeError {
  readonly code = 'INTERRUPTED';
  override readonly exitCode: number;
  constructor(
    message: string,
    readonly signal: 'SIGINT' | 'SIGTERM' = 'SIGINT',
  ) {
    super(message);
    this.exitCode = signal === 'SIGTERM' ? EXIT.terminated : EXIT.interrupted;
  }
}

/** The exit code for a signal: 128 + its number. */
export function signalExitCode(signal: 'SIGINT' | 'SIGTERM'): number {
  return signal === 'SIGTERM' ? EXIT.terminated : EXIT.interrupted;
}

/** A platform API call that failed after retries. */
export class ApiError extends GrantscopeError {
  readonly code: string = 'API_ERROR';
  constructor(
    readonly api: string,
    readonly status: number | null,
    message: string,
    readonly detail: { method?: string; path?: string; collector?: string; requiredPermission?: string } = {},
    options?: { cause?: unknown },
  ) {
    super(
      `${api}${detail.method ? ` ${detail.method}` : ''}${detail.path ? ` ${detail.path}` : ''}` +
        `${status != null ? ` returned ${status}` : ' failed'}: ${message}`,
      options,
    );
  }
}

/**
 * The platform says the configured tenant does not exist (a GitHub organisation, an Entra tenant, a Google
 * customer): nothing of it can be read, whatever the collector. Reported once for the tenant, with what the
 * platform answered and the config key to check, not once per collector.
 */
export class TenantNotFoundError extends ApiError {
  override readonly code = 'TENANT_NOT_FOUND';
  constructor(
    /** What the platform calls a tenant: `organisation`, `tenant`, `customer`. */
    readonly subject: string,
    api: string,
    status: number | null,
    /** What the platform answered, e.g. `login.microsoftonline.com answered 400 to GET …: invalid_tenant (AADSTS90002 …)`. */
    readonly answer: string,
    /** The config key naming the tenant, e.g. `microsoft365.tenantId`. */
    readonly configKey: string,
    /** What else to check besides the key, as `and …` (the app installed on the organisation), or ''. */
    hint: string,
    detail: ApiError['detail'] = {},
    options?: { cause?: unknown },
  ) {
    super(api, status, answer, detail, options);
    this.message = `${subject} not found: ${answer} — check \`${configKey}\` in the config${hint ? ` ${hint}` : ''}`;
  }
}

/**
 * A connector broke the connector contract (a record that does not fit the model, a collector list
 * with unknown dependencies, a collector reading data it did not declare). A bug in that connector.
 */
export class ConnectorContractError extends GrantscopeError {
  readonly code = 'CONNECTOR_CONTRACT';
}

/** Missing or unreadable credentials (key file, env var). Never includes the secret itself. */
export class CredentialSourceError extends GrantscopeError {
  readonly code = 'CREDENTIAL_SOURCE';
  override readonly exitCode = EXIT.usage;
}

export class StoreError extends GrantscopeError {
  readonly code: string = 'STORE_ERROR';
  constructor(
    readonly file: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${file}: ${message}`, options);
  }
}
export class StoreLockedError extends StoreError {
  override readonly code = 'STORE_LOCKED';
}
export class StoreCorruptError extends StoreError {
  override readonly code = 'STORE_CORRUPT';
}
export class StoreNewerSchemaError extends StoreError {
  override readonly code = 'STORE_NEWER_SCHEMA';
}

/** Render any thrown value as one line for logs and stderr. */
export function describeError(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}

/** A report file that could not be written: names the file. */
export class ReportWriteError extends GrantscopeError {
  readonly code = 'REPORT_WRITE';
  constructor(
    readonly file: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${file}: ${message}`, options);
  }
}

/** A queued job that cannot run here (its tenant is not in this worker's config, its data is not a grantscope job). */
export class QueueJobError extends GrantscopeError {
  readonly code = 'QUEUE_JOB';
  override readonly exitCode = EXIT.usage;
}

/**
 * A queued scan stored an incomplete snapshot, and every failed collector met a transient status
 * (throttling, a 5xx): the job is failed so that the queue retries it; the stored scan stays.
 */
export class TransientIncompleteScanError extends GrantscopeError {
  readonly code = 'SCAN_INCOMPLETE_TRANSIENT';
  override readonly exitCode = EXIT.incomplete;
  constructor(
    readonly scanId: number,
    readonly failed: readonly string[],
  ) {
    super(
      `scan #${scanId} incomplete, transient failures only (${failed.join(', ')}): retrying to complete it`,
    );
  }
}
