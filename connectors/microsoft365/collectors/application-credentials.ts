import { defineCollector } from '../../../src/connector/collector.js';
import { emitOrCarry } from '../../../src/connector/records-carry.js';
import type { Tenant } from '../../../src/model/common.js';
import type { CredentialInput } from '../../../src/model/credential.js';
import { timestamp } from '../records.js';
import type { Application, ServicePrincipal } from '../schema.js';
import { markOwnedByOnly, PLATFORM, type Session } from '../session.js';
import type { AppDirectory } from './service-principals.js';

const NAME = 'application-credentials';

/**
 * The credentials of the tenant's app registrations, recorded on the service principal of their app.
 * The application list is read by the service-principals collector, at once with the service
 * principals and counted for this one (see `AppDirectory`); this collector fails with its error.
 */
export const applicationCredentials = defineCollector<Session, Application[]>({
  name: NAME,
  description:
    'Client secrets and certificates of the tenant’s own app registrations (start, end; no part of the secret)',
  permissions: ['Application.Read.All'],
  dependsOn: ['service-principals'],
  async fetch(s, run) {
    // Still being read when the service principal collector ended (a rescan's delta round is quicker).
    const list = await run.input<AppDirectory>('service-principals').applications;
    markOwnedByOnly(s, run, 'applications' in list);
    if ('failed' in list) throw list.failed;
    return list.applications;
  },
  *transform(applications, s, run) {
    const sps = run.input<AppDirectory>('service-principals').servicePrincipals;
    // The same credentials as the previous scan stored: carried forward, not checked and stored again.
    const notes = yield* emitOrCarry(run, CREDENTIALS_RECORDS_DIGEST, () =>
      credentialsOf(s.tenant, applications, sps),
    );
    for (const note of notes) run.ctx.coverage.note(NAME, note);
  },
});

/**
 * The connector-state key of the digest of the credential records a scan stored
 * (src/connector/records-carry.ts): the next scan compares its own records' digest with it.
 */
export const CREDENTIALS_RECORDS_DIGEST = 'applicationCredentials.recordsDigest';

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

/**
 * One credential record per secret or certificate, on the service principal of the app (what the
 * findings name). `secretText`, `key` and `hint` are never kept: the schema drops them.
 */
export function credentialRecords(
  tenant: Tenant,
  apps: readonly Application[],
  sps: readonly ServicePrincipal[],
): { credentials: CredentialInput[]; notes: string[] } {
  const credentials: CredentialInput[] = [];
  const it = credentialsOf(tenant, apps, sps);
  for (let r = it.next(); ; r = it.next()) {
    if (r.done) return { credentials, notes: r.value };
    credentials.push(r.value);
  }
}

/** The credential records one at a time (the runner stores them in batches), then the coverage notes. */
function* credentialsOf(
  tenant: Tenant,
  apps: readonly Application[],
  sps: readonly ServicePrincipal[],
): Generator<CredentialInput, string[]> {
  const spByAppId = new Map(sps.map((sp) => [sp.appId.toLowerCase(), sp]));
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
      yield {
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
      };
    }
    for (const c of app.keyCredentials) {
      if (!c.keyId) continue;
      yield {
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
      };
    }
  }
  const notes =
    withoutSp > 0
      ? [
          `${withoutSp} app registration(s) without a service principal in this tenant: credentials not attributed`,
        ]
      : [];
  return notes;
}
