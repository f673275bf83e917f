import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { rootCertificates } from 'node:tls';
import {
  ClientCertificateCredential,
  type ClientCertificateCredentialOptions,
  ClientSecretCredential,
  type TokenCredential,
} from '@azure/identity';
import type { ConnectorContext } from '../../src/connector/context.js';
import { CredentialSourceError } from '../../src/errors.js';
import type { Endpoints, Microsoft365Config } from './config.js';

/**
 * The client-credentials credential for grantscope's app registration: a certificate (preferred)
 * or a client secret, read from the file or env var the config names. Never DefaultAzureCredential:
 * it probes managed-identity endpoints the user did not ask for.
 */
export function createCredential(
  config: Microsoft365Config,
  endpoints: Endpoints,
  ctx: ConnectorContext,
): RenewableCredential {
  const options: ClientCertificateCredentialOptions = {
    authorityHost: endpoints.authorityHost,
    // Instance discovery would call login.microsoftonline.com whatever the authority host.
    disableInstanceDiscovery: true,
    // `ca` replaces the default trust store, so keep the public roots next to the extra CA.
    tlsOptions: ctx.http.ca ? { ca: [...rootCertificates, ctx.http.ca] } : undefined,
    retryOptions: { maxRetries: ctx.http.retry.maxRetries, maxRetryDelayInMs: ctx.http.retry.maxDelayMs },
    additionalPolicies: [
      {
        position: 'perRetry',
        // Token requests bypass ctx.http.fetch; count them for coverage here.
        policy: {
          name: 'grantscopeRequestCount',
          sendRequest: (req, next) => {
            ctx.coverage.countRequest();
            // The engine's timeout on MSAL's requests too (its own default is none).
            req.timeout = ctx.http.timeoutMs;
            return next(req);
          },
        },
      },
    ],
  };
  const path = (file: string) => (isAbsolute(file) ? file : resolve(ctx.configDir, file));

  if (config.certificateFile) {
    const file = path(config.certificateFile);
    let pem: string;
    try {
      pem = readFileSync(file, 'utf8');
    } catch (err) {
      throw new CredentialSourceError(
        `microsoft365.certificateFile: cannot read ${file}: ${(err as Error).message}`,
        {
          cause: err,
        },
      );
    }
    if (!/-----BEGIN CERTIFICATE-----/.test(pem) || !/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(pem)) {
      throw new CredentialSourceError(
        `microsoft365.certificateFile: ${file} must hold a PEM private key and the PEM certificate registered on the app`,
      );
    }
    let certificatePassword: string | undefined;
    if (config.certificatePasswordEnv) {
      certificatePassword = process.env[config.certificatePasswordEnv];
      if (!certificatePassword) {
        throw new CredentialSourceError(
          `microsoft365.certificatePasswordEnv: environment variable ${config.certificatePasswordEnv} is not set`,
        );
      }
    }
    return new RenewableCredential(
      () =>
        new ClientCertificateCredential(
          config.tenantId,
          config.clientId,
          certificatePassword ? { certificate: pem, certificatePassword } : { certificate: pem },
          options,
        ),
    );
  }

  let secret: string | undefined;
  if (config.clientSecretFile) {
    const file = path(config.clientSecretFile);
    try {
      secret = readFileSync(file, 'utf8').split(/\r?\n/)[0]?.trim();
    } catch (err) {
      throw new CredentialSourceError(
        `microsoft365.clientSecretFile: cannot read ${file}: ${(err as Error).message}`,
        {
          cause: err,
        },
      );
    }
    if (!secret) throw new CredentialSourceError(`microsoft365.clientSecretFile: ${file} is empty`);
  } else if (config.clientSecretEnv) {
    secret = process.env[config.clientSecretEnv]?.trim();
    if (!secret) {
      throw new CredentialSourceError(
        `microsoft365.clientSecretEnv: environment variable ${config.clientSecretEnv} is not set`,
      );
    }
  }
  return new RenewableCredential(
    () => new ClientSecretCredential(config.tenantId, config.clientId, secret!, options),
  );
}

/**
 * The credential, renewable: @azure/identity keeps a token until shortly before it expires and has no
 * way to drop one Graph has refused (401 InvalidAuthenticationToken, e.g. revoked or expired early), so
 * renewing replaces the credential (and with it MSAL's token cache); the next request gets a new token.
 */
export class RenewableCredential implements TokenCredential {
  private current: TokenCredential;
  /** Bumped on every renewal, so that one 401 burst renews once. */
  generation = 0;

  constructor(private readonly create: () => TokenCredential) {
    this.current = create();
  }

  getToken(...args: Parameters<TokenCredential['getToken']>): ReturnType<TokenCredential['getToken']> {
    return this.current.getToken(...args);
  }

  /** Renew, unless a renewal already happened since `seen` (another request of the same burst did it). */
  renew(seen: number): void {
    if (seen !== this.generation) return;
    this.current = this.create();
    this.generation += 1;
  }
}
