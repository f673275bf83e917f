import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import { createAppAuth } from '@octokit/auth-app';
import { retry } from '@octokit/plugin-retry';
import { Octokit } from '@octokit/rest';
import { fetchTrusting, lazySink } from '../../lazy-sink.js';
import type { TicketSinkType } from '../../registry.js';
import type { RemoteTicketState, TicketContent, TicketDocument, TicketRef, TicketSink } from '../../sink.js';
import { TicketSinkError } from '../../sink.js';
import { GithubIssuesSinkConfig } from './config.js';
import { markdown } from './markdown.js';

export { GithubIssuesSinkConfig } from './config.js';

const SinkOctokit: typeof Octokit = Octokit.plugin(retry);
const API_VERSION = '2022-11-28';
/** GitHub refuses issue titles over 256 characters. */
const TITLE_MAX = 256;
/** The hidden marker that ties an issue to its lifecycle key (found again by `find`). */
const marker = (key: string) => `<!-- grantscope-key: ${createHash('sha256').update(key).digest('hex')} -->`;

export interface GithubIssuesSinkDeps {
  configDir: string;
  env?: NodeJS.ProcessEnv;
  fetch?: typeof fetch;
  /** Retries after 5xx (plugin-retry); 0 in tests that want an outage to fail at once. */
  retries?: number;
}

type Operation = TicketSinkError['operation'];

export class GithubIssuesSink implements TicketSink {
  readonly kind = 'github-issues';
  readonly canReadState = true;
  readonly name: string;
  private readonly owner: string;
  private readonly repo: string;

  constructor(
    private readonly config: GithubIssuesSinkConfig,
    private readonly octokit: Octokit,
  ) {
    this.name = config.name;
    [this.owner, this.repo] = config.repository.split('/') as [string, string];
  }

  private async call<T>(operation: Operation, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (e) {
      const status = (e as { status?: unknown }).status;
      const message = (e as { response?: { data?: { message?: unknown } } }).response?.data?.message;
      throw new TicketSinkError(
        this.name,
        operation,
        `${this.config.repository}: ${typeof message === 'string' ? message : (e as Error).message}`,
        typeof status === 'number' ? status : null,
        { cause: e },
      );
    }
  }

  private ref(issue: { number: number; html_url: string }): TicketRef {
    return { id: String(issue.number), url: issue.html_url };
  }

  async open(content: TicketContent): Promise<TicketRef> {
    const title =
      content.title.length > TITLE_MAX ? `${content.title.slice(0, TITLE_MAX - 1)}…` : content.title;
    const labels = [
      ...this.config.labels,
      ...(this.config.severityLabel ? [`severity:${content.severity}`] : []),
      ...content.labels,
    ].filter((l, i, all) => all.indexOf(l) === i);
    const { data } = await this.call('open', () =>
      this.octokit.rest.issues.create({
        owner: this.owner,
        repo: this.repo,
        title,
        body: `${markdown(content.body)}\n\n${marker(content.key)}`,
        labels,
      }),
    );
    return this.ref(data);
  }

  async comment(ref: TicketRef, comment: TicketDocument): Promise<void> {
    await this.call('comment', () =>
      this.octokit.rest.issues.createComment({
        owner: this.owner,
        repo: this.repo,
        issue_number: Number(ref.id),
        body: markdown(comment),
      }),
    );
  }

  async close(ref: TicketRef, comment: TicketDocument): Promise<void> {
    await this.comment(ref, comment).catch((e: TicketSinkError) => {
      throw new TicketSinkError(this.name, 'close', e.message, e.status, { cause: e });
    });
    await this.call('close', () =>
      this.octokit.rest.issues.update({
        owner: this.owner,
        repo: this.repo,
        issue_number: Number(ref.id),
        state: 'closed',
        state_reason: 'completed',
      }),
    );
  }

  async reopen(ref: TicketRef, comment: TicketDocument): Promise<void> {
    await this.call('reopen', () =>
      this.octokit.rest.issues.update({
        owner: this.owner,
        repo: this.repo,
        issue_number: Number(ref.id),
        state: 'open',
      }),
    );
    await this.comment(ref, comment);
  }

  async state(ref: TicketRef): Promise<RemoteTicketState> {
    try {
      const { data } = await this.octokit.rest.issues.get({
        owner: this.owner,
        repo: this.repo,
        issue_number: Number(ref.id),
      });
      return data.state === 'closed' ? 'closed' : 'open';
    } catch (e) {
      // 410: deleted; 404: gone, or transferred somewhere this credential cannot see.
      const status = (e as { status?: unknown }).status;
      if (status === 410 || status === 404) return 'missing';
      return this.call('state', () => Promise.reject(e));
    }
  }

  /** The issue grantscope opened for `key` (its hidden marker), among the issues with the first label. */
  async find(key: string): Promise<TicketRef | null> {
    const wanted = marker(key);
    const pages = this.octokit.paginate.iterator(this.octokit.rest.issues.listForRepo, {
      owner: this.owner,
      repo: this.repo,
      state: 'all',
      labels: this.config.labels[0],
      per_page: 100,
    });
    return this.call('search', async () => {
      for await (const { data } of pages) {
        const hit = data.find((i) => i.body?.includes(wanted));
        if (hit) return this.ref(hit);
      }
      return null;
    });
  }
}

async function readSecretFile(sink: string, key: string, path: string, configDir: string): Promise<string> {
  const file = isAbsolute(path) ? path : resolve(configDir, path);
  try {
    return (await readFile(file, 'utf8')).trim();
  } catch (e) {
    throw new TicketSinkError(sink, 'open', `cannot read ${key} ${file}: ${(e as Error).message}`);
  }
}

export async function createGithubIssuesSink(
  input: unknown,
  deps: GithubIssuesSinkDeps,
): Promise<GithubIssuesSink> {
  const config = GithubIssuesSinkConfig.parse(input);
  const common = {
    baseUrl: config.baseUrl.replace(/\/+$/, ''),
    userAgent: 'grantscope-tickets',
    headers: { 'x-github-api-version': API_VERSION },
    retry: { retries: deps.retries ?? 3, doNotRetry: [400, 401, 403, 404, 410, 422, 451] },
    request: deps.fetch ? { fetch: deps.fetch } : {},
    log: { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} },
  };
  if (config.app) {
    const privateKey = await readSecretFile(
      config.name,
      'app.privateKeyFile',
      config.app.privateKeyFile,
      deps.configDir,
    );
    const octokit = new SinkOctokit({
      ...common,
      authStrategy: createAppAuth,
      auth: { appId: config.app.id, privateKey, installationId: config.app.installationId },
    });
    return new GithubIssuesSink(config, octokit);
  }
  let token: string;
  if (config.tokenEnv) {
    const value = (deps.env ?? process.env)[config.tokenEnv];
    if (!value)
      throw new TicketSinkError(
        config.name,
        'open',
        `environment variable ${config.tokenEnv} (tokenEnv) is not set`,
      );
    token = value;
  } else {
    token = await readSecretFile(config.name, 'tokenFile', config.tokenFile!, deps.configDir);
  }
  return new GithubIssuesSink(config, new SinkOctokit({ ...common, auth: token }));
}

/** For the sink registry: `type: github-issues` in `tickets.sinks`. */
export const githubIssuesSinkType: TicketSinkType<GithubIssuesSinkConfig> = {
  type: 'github-issues',
  settings: GithubIssuesSinkConfig,
  create: (settings, context) =>
    lazySink(settings.name, 'github-issues', () => {
      const fetch = fetchTrusting(context.caFile);
      return createGithubIssuesSink(settings, {
        configDir: context.configDir,
        ...(context.env ? { env: context.env } : {}),
        ...(fetch ? { fetch } : {}),
      });
    }),
};
