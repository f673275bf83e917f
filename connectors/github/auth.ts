import { readFile } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import type { ConnectorContext } from '../../src/connector/context.js';
import { CredentialSourceError } from '../../src/errors.js';
import type { GithubConfig } from './config.js';

/**
 * The scanner's credentials: a GitHub App's private key (from a file or an environment variable) or a
 * token (from an environment variable), and the renewal of an installation token GitHub refuses
 * mid-scan. Secrets are read here and handed to Octokit's auth; nothing else holds them.
 */

/** The routes that mint tokens or find the installation: never counted against the rate budget. */
export const AUTH_ROUTE = /\/app\/installations\/[^/]+\/access_tokens$|\/orgs\/[^/]+\/installation$/;

/** What the renewal needs of Octokit: its auth hook (@octokit/auth-app's). */
interface InstallationAuth {
  auth(options: { type: 'installation'; refresh: true }): Promise<unknown>;
}

/**
 * An installation token GitHub refuses before its hour is up (401: revoked, or the clock of whoever
 * minted it ran ahead) is renewed once and the request sent again with the new token. @octokit/auth-app
 * keeps a token for 59 minutes and only retries a 401 within five seconds of minting it (replication
 * delay), with the same token. Done at the fetch, under auth-app, so that its retry sees the answer to
 * the new token; a renewed token that is refused too is the answer, so a burst renews once.
 */
export class InstallationTokenRenewal {
  /** Tokens minted by a renewal: their refusal is final. */
  private readonly renewed = new Set<string>();
  /** Each refused token, and the renewal it caused: one per token, whatever the number of requests. */
  private readonly replacing = new Map<string, Promise<string>>();

  constructor(
    private readonly octokit: () => InstallationAuth,
    private readonly ctx: ConnectorContext,
  ) {}

  readonly fetch = (async (input: RequestInfo | URL, init?: RequestInit) => {
    const res = await this.ctx.http.fetch(input, init);
    if (res.status !== 401) return res;
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    const headers = new Headers(init?.headers);
    const sent = /^token (.+)$/i.exec(headers.get('authorization') ?? '')?.[1];
    if (!sent || AUTH_ROUTE.test(new URL(url).pathname) || this.renewed.has(sent)) return res;
    let renewal = this.replacing.get(sent);
    if (!renewal) {
      this.ctx.logger.info('github: installation token refused (401); renewing it once');
      renewal = (async () => {
        const { token } = (await this.octokit().auth({ type: 'installation', refresh: true })) as {
          token: string;
        };
        this.renewed.add(token);
        return token;
      })();
      this.replacing.set(sent, renewal);
    }
    const token = await renewal;
    await res.body?.cancel();
    headers.set('authorization', `token ${token}`);
    return this.ctx.http.fetch(input, { ...init, headers });
  }) as typeof globalThis.fetch;
}

export async function readPrivateKey(
  app: NonNullable<GithubConfig['app']>,
  ctx: ConnectorContext,
): Promise<string> {
  let pem: string;
  let where: string;
  if (app.privateKeyFile) {
    const file = isAbsolute(app.privateKeyFile)
      ? app.privateKeyFile
      : resolve(ctx.configDir, app.privateKeyFile);
    where = `github.app.privateKeyFile (${file})`;
    try {
      pem = await readFile(file, 'utf8');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      throw new CredentialSourceError(
        `${where}: cannot read the file (${code === 'ENOENT' ? 'not found' : code})`,
      );
    }
  } else {
    where = `github.app.privateKeyEnv (${app.privateKeyEnv})`;
    const value = process.env[app.privateKeyEnv!];
    if (!value) throw new CredentialSourceError(`${where}: the environment variable is not set`);
    // Keys pasted into CI secrets often arrive with literal "\n".
    pem = value.includes('\\n') && !value.includes('\n') ? value.replace(/\\n/g, '\n') : value;
  }
  if (!/-----BEGIN (RSA )?PRIVATE KEY-----/.test(pem)) {
    throw new CredentialSourceError(`${where}: not a PEM private key (expected -----BEGIN PRIVATE KEY-----)`);
  }
  return pem;
}

export function readToken(config: GithubConfig): string {
  const name = config.tokenEnv!;
  const token = process.env[name];
  if (!token)
    throw new CredentialSourceError(`github.tokenEnv (${name}): the environment variable is not set`);
  return token.trim();
}
