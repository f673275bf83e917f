import { defineCollector } from '../../../src/connector/collector.js';
import type { Tenant } from '../../../src/model/common.js';
import type { CredentialInput } from '../../../src/model/credential.js';
import { select } from '../client.js';
import { timestamp } from '../records.js';
import { APPLICATION_SELECT, Application, type ServicePrincipal } from '../schema.js';
import { markOwnedByOnly, PLATFORM, type Session } from '../session.js';

const NAME = 'application-credentials';

/**
 * The application list, or why it could not be read. The owners collector needs the list when there is
 * one and goes on without it when there is not (the owners of the tenant's own apps are then unknown),
 * but the runner runs a dependent only after its dependency succeeded and has no "optional input" for
 * `fetch`: so this collector's fetch hands a failed read on, and its transform fails the collector with
 * that error.
 */
export type ApplicationList = { applications: Application[] } | { failed: unknown };

/** Credentials are recorded on the service principal of their app, so they need the service principal list. */
export const applicationCredentials = defineCollector<Session, ApplicationList>({
  name: NAME,
  description:
    'Client secrets and certificates of the tenant’s own app registrations (start, end; no part of the secret)',
  permissions: ['Application.Read.All'],
  dependsOn: ['service-principals'],
  async fetch(s, run) {
    try {
      return { applications: await listApplications(s) };
    } catch (failed) {
      // An interrupt is not a failed read: the scan ends.
      if (run.ctx.signal.aborted) throw failed;
      return { failed };
    }
  },
  transform(list, s, run) {
    if ('failed' in list) {
      markOwnedByOnly(s, run, false);
      throw list.failed;
    }
    const { credentials, notes } = credentialRecords(
      s.tenant,
      list.applications,
      run.input<ServicePrincipal[]>('service-principals'),
    );
    for (const note of notes) run.ctx.coverage.note(NAME, note);
    // Marked here, not in fetch: an unavailable list would stop the owners collector, which an
    // OwnedBy-only token still lets read what it reaches.
    markOwnedByOnly(s, run, true);
    return credentials;
  },
});

/**
 * Entra stores "never expires" (an option of the classic portal and of the API) as an end date in
 * the year 2299. Such a credential has no expiry in effect, and is recorded as such.
 */
const NEVER_YEAR = 2299;

function expiry(end: string | null): { expiresAt: string | null; nominalExpiry: string | null } {
  const t = timestamp(end);
  if (t && Number(t.slice(0, 4)) >= NEVER_YEAR) return { expiresAt: null, nominalExpiry: t };
  return { expiresAt: t, nominalExpiry: null };
}

/** The tenant's app registrations with their credentials' metadata. */
async function listApplications(s: Session): Promise<Application[]> {
  const out: Application[] = [];
  for await (const page of s.graph.list(
    `/applications?${select(APPLICATION_SELECT)}&$top=${s.config.pageSize}`,
    Application,
    {
      api: 'GET /applications',
      requiredPermission: 'Application.Read.All',
    },
  )) {
    out.push(...page);
  }
  return out;
}

/**
 * One credential record per secret or certificate, on the service principal of the app (what the
 * findings name). `secretText`, `key` and `hint` are never kept: the schema drops them.
 */
export function credentialRecords(
  tenant: Tenant,
  apps: readonly Application[],
  sps: readonly ServicePrincipal[],
): { credentials: CredentialInput[]; notes: string[] } {
  const spByAppId = new Map(sps.map((sp) => [sp.appId.toLowerCase(), sp]));
  const out: CredentialInput[] = [];
  let withoutSp = 0;
  for (const app of apps) {
    const sp = spByAppId.get(app.appId.toLowerCase());
    if (!sp) {
      withoutSp += 1;
      continue;
    }
    const common = {
      type: 'credential' as const,
      platform: PLATFORM,
      tenant,
      identity: { kind: 'service-principal', nativeId: sp.id },
      lastUsed: null,
      enabled: null,
      collector: NAME,
    };
    for (const c of app.passwordCredentials) {
      if (!c.keyId) continue;
      out.push({
        ...common,
        credentialType: 'client-secret',
        nativeId: c.keyId,
        displayName: c.displayName,
        createdAt: timestamp(c.startDateTime),
        expiresAt: expiry(c.endDateTime).expiresAt,
        attributes: {
          applicationId: app.id,
          appId: app.appId,
          nominalExpiry: expiry(c.endDateTime).nominalExpiry,
        },
        raw: c,
      });
    }
    for (const c of app.keyCredentials) {
      if (!c.keyId) continue;
      out.push({
        ...common,
        credentialType: 'certificate',
        nativeId: c.keyId,
        displayName: c.displayName,
        createdAt: timestamp(c.startDateTime),
        expiresAt: expiry(c.endDateTime).expiresAt,
        attributes: {
          nominalExpiry: expiry(c.endDateTime).nominalExpiry,
          applicationId: app.id,
          appId: app.appId,
          keyType: c.type,
          usage: c.usage,
          thumbprint: c.customKeyIdentifier,
        },
        raw: c,
      });
    }
  }
  const notes =
    withoutSp > 0
      ? [
          `${withoutSp} app registration(s) without a service principal in this tenant: credentials not attributed`,
        ]
      : [];
  return { credentials: out, notes };
}
