import { defineCollector } from '../../../src/connector/collector.js';
import { ApiError } from '../../../src/errors.js';
import type { Json } from '../../../src/model/common.js';
import type { Origin } from '../../../src/model/identity.js';
import type { ModelRecordInput } from '../../../src/model/record.js';
import { ownersOf, person, type RecordScope, recordBase, scopeOf, ts, usage } from '../records.js';
import { oauthScopeRisk } from '../risk.js';
import {
  type CredentialAuthorization,
  CredentialAuthorization as CredentialAuthorizationSchema,
} from '../schema.js';
import type { GithubSession } from '../session.js';
import { members } from './members.js';

const NAME = 'sso-credentials';

const CREDENTIAL_TYPES: Record<string, 'pat' | 'ssh-key' | 'oauth-token'> = {
  'personal access token': 'pat',
  'SSH key': 'ssh-key',
  'OAuth app token': 'oauth-token',
  'GitHub app token': 'oauth-token',
};

/** Tokens issued to OAuth apps / GitHub Apps act for a member but are held by the app's vendor. */
function originOf(c: CredentialAuthorization): Origin {
  return c.credential_type === 'OAuth app token' || c.credential_type === 'GitHub app token'
    ? 'third-party'
    : 'internal';
}

/** Each authorised credential as an identity, one grant per OAuth scope, and the credential itself. */
export function* ssoCredentialRecords(
  authorizations: readonly CredentialAuthorization[],
  scope: RecordScope,
): Generator<ModelRecordInput> {
  const base = recordBase(scope, NAME);
  for (const c of authorizations) {
    const identity = { kind: 'sso-credential', nativeId: String(c.credential_id) };
    const lastUsed = usage(c.credential_accessed_at, 'github:credential_accessed_at');
    const label = c.authorized_credential_note ?? c.authorized_credential_title ?? null;
    // The token's last eight characters are secret material: kept nowhere (not in raw, not in attributes).
    const { token_last_eight: _lastEight, ...raw } = c;
    yield {
      type: 'identity',
      ...base,
      ...identity,
      displayName: `${c.credential_type} of ${c.login}${label ? ` (${label})` : ''}`,
      origin: originOf(c),
      createdAt: ts(c.credential_authorized_at),
      enabled: true,
      lastUsed,
      ...ownersOf(scope, [c.login]),
      manageUrl: `${scope.web}/orgs/${scope.org}/people/${c.login}/sso`,
      attributes: {
        credentialType: c.credential_type,
        authorizedCredentialId: c.authorized_credential_id,
        scopes: c.scopes ?? [],
        ...(c.fingerprint ? { fingerprint: c.fingerprint } : {}),
      },
      raw: raw as unknown as Json,
    };
    for (const oauthScope of c.scopes ?? []) {
      const { risk, access } = oauthScopeRisk(oauthScope);
      yield {
        type: 'grant',
        ...base,
        identity,
        permission: { id: oauthScope, name: oauthScope, nativeLevel: oauthScope, access },
        // A classic token or OAuth token reaches whatever its user can reach in the org.
        target: { breadth: 'user', type: 'user', id: c.login, label: `what ${c.login} can reach` },
        grantedVia: 'user-consent',
        grantedAt: ts(c.credential_authorized_at),
        principal: person(scope, c.login),
        risk,
      };
    }
    yield {
      type: 'credential',
      ...base,
      identity,
      credentialType: CREDENTIAL_TYPES[c.credential_type] ?? 'oauth-token',
      nativeId: String(c.authorized_credential_id ?? c.credential_id),
      displayName: label,
      createdAt: null,
      expiresAt: ts(c.authorized_credential_expires_at),
      lastUsed,
      enabled: true,
      attributes: { authorizedAt: ts(c.credential_authorized_at) },
    };
  }
}

/**
 * Credentials members authorised for SAML SSO: classic PATs, SSH keys and OAuth/GitHub App user
 * tokens, the only API view of classic PATs and OAuth app access on the org. GitHub Enterprise
 * Cloud with SAML SSO only; anywhere else the endpoint is absent (404) and the collector is skipped.
 */
export const ssoCredentials = defineCollector<GithubSession, CredentialAuthorization[]>({
  name: NAME,
  description:
    'Credentials authorised for SAML SSO: classic PATs, SSH keys, OAuth app tokens (scopes, last accessed, expiry)',
  permissions: ['Organization permission "Administration: read" (GitHub Enterprise Cloud with SAML SSO)'],
  enrichedBy: [members.name],
  async fetch({ client, config }, { ctx }) {
    const authorizations: CredentialAuthorization[] = [];
    try {
      for await (const c of client.list(
        'GET /orgs/{org}/credential-authorizations',
        { org: config.org },
        CredentialAuthorizationSchema,
        // Its 200 response declares no Link header (GitHub's OpenAPI description, ghec.json), though
        // the operation takes page and per_page: a full page without one is followed by the next.
        { pagesWithoutLink: true },
      )) {
        authorizations.push(c);
      }
    } catch (err) {
      if (err instanceof ApiError && err.status === 404) {
        ctx.coverage.skip(
          NAME,
          'the organisation has no SAML SSO credential authorizations (GitHub Enterprise Cloud with SAML SSO only)',
        );
        return [];
      }
      throw err;
    }
    return authorizations;
  },
  transform: (authorizations, session, run) =>
    ssoCredentialRecords(authorizations, scopeOf(session, run.optional(members))),
});
