import type { LegacyCollectorDescriptor as CollectorDescriptor } from '../../../src/connector/legacy.js';
import type { CredentialInput } from '../../../src/model/credential.js';
import { COLLECTORS, PLATFORM, type ScanContext, select, timestamp } from '../context.js';
import { APPLICATION_SELECT, Application, type ServicePrincipal } from '../schema.js';

export const applicationCredentialsCollector: CollectorDescriptor = {
  name: COLLECTORS.applicationCredentials,
  description:
    'Client secrets and certificates of the tenant’s own app registrations (start, end; no part of the secret)',
  requires: 'Application.Read.All',
};

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
export async function listApplications(s: ScanContext): Promise<Application[]> {
  const out: Application[] = [];
  for await (const page of s.graph.list(
    `/applications?${select(APPLICATION_SELECT)}&$top=${s.config.pageSize}`,
    Application,
    {
      api: 'GET /applications',
      requiredPermission: applicationCredentialsCollector.requires!,
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
export function applicationCredentials(
  s: ScanContext,
  apps: Application[],
  sps: ServicePrincipal[],
): CredentialInput[] {
  const name = COLLECTORS.applicationCredentials;
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
      tenant: s.tenant,
      identity: { kind: 'service-principal', nativeId: sp.id },
      lastUsed: null,
      enabled: null,
      collector: name,
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
  s.ctx.coverage.countItems(name, out.length);
  if (withoutSp > 0) {
    s.ctx.coverage.note(
      name,
      `${withoutSp} app registration(s) without a service principal in this tenant: credentials not attributed`,
    );
  }
  return out;
}
