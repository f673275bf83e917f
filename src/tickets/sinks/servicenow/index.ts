import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import { fetchTrusting, lazySink } from '../../lazy-sink.js';
import type { TicketSinkType } from '../../registry.js';
import type { RemoteTicketState, TicketContent, TicketDocument, TicketRef, TicketSink } from '../../sink.js';
import { TicketSinkError } from '../../sink.js';
import { DEFAULT_LEVELS, ServiceNowSinkConfig } from './config.js';
import { plainText } from './render.js';
import { TableClient } from './table-client.js';

export { ServiceNowSinkConfig } from './config.js';

/** Marks grantscope's records in `correlation_display`, so a search finds ours and nobody else's. */
export const CORRELATION_DISPLAY = 'grantscope';

/** short_description is 160 characters on the incident table. */
const TITLE_MAX = 160;

export interface ServiceNowSinkDeps {
  /** Where relative `passwordFile` paths are resolved from (the config file's folder). */
  configDir: string;
  env?: NodeJS.ProcessEnv;
  fetch?: typeof fetch;
  /** Longest wait honoured from a Retry-After, in seconds. */
  maxWaitSeconds?: number;
  /** Retries after 429/503 or a connection failure (default 3). */
  retries?: number;
}

/**
 * The lifecycle key as a `correlation_id` (a string field of 100 characters): the key itself when it
 * fits and holds no encoded-query operator, else a digest of it.
 */
export function correlationId(key: string): string {
  return /^[A-Za-z0-9:._@/-]{1,100}$/.test(key)
    ? key
    : `gs-${createHash('sha256').update(key).digest('hex').slice(0, 40)}`;
}

export class ServiceNowSink implements TicketSink {
  readonly kind = 'servicenow';
  readonly canReadState = true;
  readonly name: string;

  constructor(
    private readonly config: ServiceNowSinkConfig,
    private readonly client: TableClient,
  ) {
    this.name = config.name;
  }

  private ref(sysId: string): TicketRef {
    const base = this.config.instance.replace(/\/+$/, '');
    return { id: sysId, url: `${base}/nav_to.do?uri=${this.config.table}.do?sys_id=${sysId}` };
  }

  async open(content: TicketContent): Promise<TicketRef> {
    const level = this.config.severity[content.severity] ?? DEFAULT_LEVELS[content.severity]!;
    const title =
      content.title.length > TITLE_MAX ? `${content.title.slice(0, TITLE_MAX - 1)}…` : content.title;
    const labels = content.labels.length > 0 ? `\n\nLabels: ${content.labels.join(', ')}` : '';
    const { result } = await this.client.call(
      'open',
      'POST',
      '',
      { sysparm_fields: 'sys_id,number' },
      {
        ...this.config.fields,
        short_description: title,
        description: `${plainText(content.body)}${labels}`,
        impact: level.impact,
        urgency: level.urgency,
        correlation_id: correlationId(content.key),
        correlation_display: CORRELATION_DISPLAY,
      },
    );
    const sysId = (result as { sys_id?: unknown } | null)?.sys_id;
    if (typeof sysId !== 'string' || !sysId) {
      throw new TicketSinkError(this.name, 'open', 'the instance answered without the new record’s sys_id');
    }
    return this.ref(sysId);
  }

  async comment(ref: TicketRef, comment: TicketDocument): Promise<void> {
    await this.patch('comment', ref, { [this.config.commentField]: plainText(comment) });
  }

  async close(ref: TicketRef, comment: TicketDocument): Promise<void> {
    await this.patch('close', ref, {
      state: this.config.closeState,
      close_code: this.config.closeCode,
      close_notes: plainText(comment),
    });
  }

  async reopen(ref: TicketRef, comment: TicketDocument): Promise<void> {
    await this.patch('reopen', ref, {
      state: this.config.reopenState,
      [this.config.commentField]: plainText(comment),
    });
  }

  async state(ref: TicketRef): Promise<RemoteTicketState> {
    const { status, result } = await this.client.call(
      'state',
      'GET',
      `/${encodeURIComponent(ref.id)}`,
      { sysparm_fields: 'state,active' },
      undefined,
      true,
    );
    if (status === 404) return 'missing';
    return (result as { active?: unknown } | null)?.active === 'false' ? 'closed' : 'open';
  }

  /** The record grantscope opened for `key`, found by its correlation id (to rebuild lost state). */
  async find(key: string): Promise<TicketRef | null> {
    const { result } = await this.client.call('search', 'GET', '', {
      sysparm_query: `correlation_id=${correlationId(key)}^correlation_display=${CORRELATION_DISPLAY}^ORDERBYDESCsys_created_on`,
      sysparm_fields: 'sys_id',
      sysparm_limit: '1',
    });
    const first = Array.isArray(result) ? (result[0] as { sys_id?: unknown } | undefined) : undefined;
    return typeof first?.sys_id === 'string' ? this.ref(first.sys_id) : null;
  }

  private async patch(
    operation: 'comment' | 'close' | 'reopen',
    ref: TicketRef,
    body: Record<string, string>,
  ) {
    await this.client.call(
      operation,
      'PATCH',
      `/${encodeURIComponent(ref.id)}`,
      { sysparm_fields: 'sys_id' },
      body,
    );
  }
}

export async function createServiceNowSink(
  input: unknown,
  deps: ServiceNowSinkDeps,
): Promise<ServiceNowSink> {
  const config = ServiceNowSinkConfig.parse(input);
  const password = await readPassword(config, deps);
  const client = new TableClient({
    sink: config.name,
    instance: config.instance,
    table: config.table,
    username: config.username,
    password,
    ...(deps.fetch ? { fetch: deps.fetch } : {}),
    ...(deps.maxWaitSeconds !== undefined ? { maxWaitSeconds: deps.maxWaitSeconds } : {}),
    ...(deps.retries !== undefined ? { retries: deps.retries } : {}),
  });
  return new ServiceNowSink(config, client);
}

async function readPassword(config: ServiceNowSinkConfig, deps: ServiceNowSinkDeps): Promise<string> {
  if (config.passwordEnv) {
    const value = (deps.env ?? process.env)[config.passwordEnv];
    if (!value) {
      throw new TicketSinkError(
        config.name,
        'open',
        `environment variable ${config.passwordEnv} (passwordEnv) is not set`,
      );
    }
    return value;
  }
  const file = isAbsolute(config.passwordFile!)
    ? config.passwordFile!
    : resolve(deps.configDir, config.passwordFile!);
  try {
    return (await readFile(file, 'utf8')).trim();
  } catch (e) {
    throw new TicketSinkError(
      config.name,
      'open',
      `cannot read passwordFile ${file}: ${(e as Error).message}`,
    );
  }
}

/** For the sink registry: `type: servicenow` in `tickets.sinks`. */
export const servicenowSinkType: TicketSinkType<ServiceNowSinkConfig> = {
  type: 'servicenow',
  settings: ServiceNowSinkConfig,
  create: (settings, context) =>
    lazySink(settings.name, 'servicenow', () => {
      const fetch = fetchTrusting(context.caFile);
      return createServiceNowSink(settings, {
        configDir: context.configDir,
        ...(context.env ? { env: context.env } : {}),
        ...(fetch ? { fetch } : {}),
      });
    }),
};
