import { describe, expect, it } from 'vitest';
import { hasSecretFields, REDACTED, redactedOrSame, redactSecrets, scrubText } from './redact.js';

describe('scrubText', () => {
  const secrets: Array<[string, string]> = [
    ['GitHub installation token', 'token ghs_16C7e42F292c6912E7710c838347Ae178B4a'],
    ['GitHub token alone', 'got ghs_16C7e42F292c6912E7710c838347Ae178B4a back'],
    ['fine-grained PAT', 'github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz'],
    ['bearer JWT', 'Authorization: Bearer eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiIxMjMifQ.c2lnbmF0dXJlLXZhbHVl'],
    ['Google access token', 'ya29.a0AfH6SMBx-example_token.value'],
    ['Google refresh token', '1//0gLk8d7sHq-example-refresh-token-value'],
    ['form client_secret', 'grant_type=client_credentials&client_secret=Zx9~verysecretvalue&scope=x'],
    ['form assertion', 'grant_type=urn%3Aietf&assertion=abc.def.ghi'],
    ['JSON access_token', '{"access_token": "opaque-secret-value-123", "expires_in": 3599}'],
    ['JSON token', '{"token":"v1.2f7e9a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f","expires_at":"2026-01-01"}'],
    ['Entra client secret', 'secret abc8Q~AbCdEfGhIjKlMnOpQrStUvWxYz0123456 leaked'],
    [
      'PEM private key',
      '-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----',
    ],
    ['PEM cut off', 'body: -----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA7'],
  ];

  it.each(secrets)('removes a %s', (_kind, text) => {
    const out = scrubText(text);
    expect(out).toContain(REDACTED);
    for (const secret of [
      'ghs_16C7e42F',
      'github_pat_11',
      'eyJhbGciOiJSUzI1NiJ9',
      'ya29.a0',
      '1//0gLk8',
      'Zx9~verysecret',
      'abc.def.ghi',
      'opaque-secret-value',
      'v1.2f7e9a0b',
      'AbCdEfGhIjKl',
      'MIIE',
    ])
      expect(out).not.toContain(secret);
  });

  it('keeps what is not a secret, and names the key whose value it removed', () => {
    expect(scrubText('GET /orgs/acme/installations returned 404: Not Found')).toBe(
      'GET /orgs/acme/installations returned 404: Not Found',
    );
    expect(scrubText('client_secret=hunter2hunter2')).toBe(`client_secret=${REDACTED}`);
    expect(scrubText('{"token": "abc"}')).toBe(`{"token": "${REDACTED}"}`);
    expect(scrubText('-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----')).toContain('MIIB');
  });
});

describe('redactedOrSame', () => {
  it('returns the object itself when nothing in it is secret-named, else a redacted copy', () => {
    const plain = { id: 'a', appRoles: [{ id: 'r', value: 'User.Read.All' }], tags: ['x'] };
    expect(redactedOrSame(plain)).toBe(plain);
    expect(hasSecretFields(plain)).toBe(false);
    const nested = { id: 'a', keys: [{ keyId: 'k', value: 'pem' }] };
    expect(hasSecretFields(nested)).toBe(true);
    const copy = redactedOrSame(nested);
    expect(copy).not.toBe(nested);
    expect(copy).toEqual(redactSecrets(nested));
    expect(nested.keys[0]!.value).toBe('pem');
    // An empty or null secret-named field is left as it is by redactSecrets: nothing to copy for.
    const empty = { password: '', token: null };
    expect(redactedOrSame(empty)).toBe(empty);
  });
});

describe('redactSecrets', () => {
  it('replaces secret-named fields at any depth and leaves the rest', () => {
    expect(
      redactSecrets({
        id: 'a',
        client_secret: 's',
        nested: { password: 'p', name: 'n' },
        list: [{ token: 't' }],
      }),
    ).toEqual({
      id: 'a',
      client_secret: REDACTED,
      nested: { password: REDACTED, name: 'n' },
      list: [{ token: REDACTED }],
    });
  });
});
