import { scannerConcurrency } from '../limits.js';
import type { ClientSetup, EmulatorContext, EmulatorPlatform } from '../platform.js';
import { WorldError } from '../world-error.js';
import { formatPath } from '../world-file.js';
import type { M365Directory } from './directory.js';
import { generatedDirectory } from './generated-directory.js';
import { graphRoutes } from './graph.js';
import { CLIENT_SECRET_KEY, loginRoutes, scannerCertificate } from './login.js';
import { Microsoft365Section } from './schema.js';
import { worldDirectory } from './world-directory.js';

export interface Microsoft365State {
  dir: M365Directory;
  quirks: Microsoft365Section['quirks'];
}

/** File names `clientSetup()` writes next to grantscope.yaml. */
export const CLIENT_FILES = {
  certificate: 'microsoft365-client-cert.pem',
  secret: 'microsoft365-client-secret.txt',
} as const;

/**
 * Microsoft 365 / Entra ID: Graph v1.0 and beta under `/v1.0` and `/beta`, the Entra login
 * endpoints of the client-credentials flow under `/{tenant}/…`.
 */
export const microsoft365Emulator: EmulatorPlatform<Microsoft365State> = {
  key: 'microsoft365',

  load(section: unknown, ctx: EmulatorContext, file: string): Microsoft365State {
    const parsed = Microsoft365Section.safeParse(section);
    if (!parsed.success) {
      throw new WorldError(
        file,
        parsed.error.issues.map((i) => ({
          path: formatPath(['microsoft365', ...(i.path as PropertyKey[])]),
          line: null,
          message:
            i.code === 'unrecognized_keys'
              ? `unknown key${i.keys.length > 1 ? 's' : ''} ${i.keys.map((k) => `'${k}'`).join(', ')}`
              : i.message,
        })),
      );
    }
    const s = parsed.data;
    if (s.generate) {
      const explicit = (
        [
          'users',
          'servicePrincipals',
          'applications',
          'appRoleAssignments',
          'oauth2PermissionGrants',
        ] as const
      ).filter((k) => s[k].length > 0);
      if (explicit.length > 0) {
        throw new WorldError(file, [
          {
            path: 'microsoft365.generate',
            line: null,
            message: `cannot be combined with explicit ${explicit.join(', ')}`,
          },
        ]);
      }
      return { dir: generatedDirectory(s, ctx.now), quirks: s.quirks };
    }
    return { dir: worldDirectory(s, file), quirks: s.quirks };
  },

  routes(state, ctx) {
    return [...graphRoutes(state, ctx), ...loginRoutes(state, ctx)];
  },

  clientSetup(state, ctx): ClientSetup {
    const origin = ctx.origin();
    return {
      config: {
        microsoft365: {
          tenantId: state.dir.tenant.id,
          tenantName: state.dir.tenant.displayName,
          clientId: state.dir.scanner.appId,
          authorityHost: origin,
          graphBaseUrl: origin,
          certificateFile: CLIENT_FILES.certificate,
          // The bucket the emulator enforces, for the scanner's pacing (throttle.ts in the connector).
          ...(ctx.limits?.microsoft365
            ? {
                resourceUnitsPer10s: ctx.limits.microsoft365.resourceUnitsPer10s,
                quotaTimeScale: ctx.limits.timeScale,
              }
            : {}),
        },
        // Under a connection pool: requests kept waiting for it, so that it stays full while the
        // scanner reads each answer (../limits.ts `scannerConcurrency`). Graph limits the directory
        // reads by resource units per 10 seconds, not by requests at once
        // (https://learn.microsoft.com/graph/throttling-limits, "Identity and access service limits").
        ...scannerConcurrency(ctx.limits?.microsoft365?.maxConcurrent),
      },
      files: {
        [CLIENT_FILES.certificate]: scannerCertificate(ctx).bundlePem,
        [CLIENT_FILES.secret]: `${ctx.keys.secret(CLIENT_SECRET_KEY)}\n`,
      },
    };
  },
};
