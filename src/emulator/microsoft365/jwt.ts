import { constants, createPrivateKey, createPublicKey, type KeyObject, sign, verify } from 'node:crypto';

export interface DecodedJwt {
  header: Record<string, unknown>;
  payload: Record<string, unknown>;
  signingInput: Buffer;
  signature: Buffer;
}

/** Split and JSON-decode a compact JWS, or return null if it is not one. */
export function decodeJwt(token: string): DecodedJwt | null {
  const parts = token.split('.');
  if (parts.length !== 3) return null;
  try {
    const header = JSON.parse(Buffer.from(parts[0]!, 'base64url').toString('utf8')) as unknown;
    const payload = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8')) as unknown;
    if (!header || typeof header !== 'object' || !payload || typeof payload !== 'object') return null;
    return {
      header: header as Record<string, unknown>,
      payload: payload as Record<string, unknown>,
      signingInput: Buffer.from(`${parts[0]}.${parts[1]}`),
      signature: Buffer.from(parts[2]!, 'base64url'),
    };
  } catch {
    return null;
  }
}

const keyObjects = new Map<string, KeyObject>();

/** Verify an RS256 or PS256 signature (the two algorithms MSAL uses for certificate assertions). */
export function verifyJwtSignature(jwt: DecodedJwt, publicKeyPem: string): boolean {
  let key = keyObjects.get(publicKeyPem);
  if (!key) {
    key = createPublicKey(publicKeyPem);
    keyObjects.set(publicKeyPem, key);
  }
  if (jwt.header.alg === 'RS256') return verify('sha256', jwt.signingInput, key, jwt.signature);
  if (jwt.header.alg === 'PS256') {
    return verify(
      'sha256',
      jwt.signingInput,
      { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST },
      jwt.signature,
    );
  }
  return false;
}

/** Sign an RS256 JWT (the emulator's access tokens). */
export function signJwt(
  header: Record<string, unknown>,
  payload: Record<string, unknown>,
  privateKeyPem: string,
) {
  const h = Buffer.from(JSON.stringify({ alg: 'RS256', typ: 'JWT', ...header })).toString('base64url');
  const p = Buffer.from(JSON.stringify(payload)).toString('base64url');
  const sig = sign('sha256', Buffer.from(`${h}.${p}`), createPrivateKey(privateKeyPem));
  return `${h}.${p}.${sig.toString('base64url')}`;
}
