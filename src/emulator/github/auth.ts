import { createHash, createVerify, randomBytes } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { Level, Permissions } from './world.js';

/**
 * GitHub App authentication as GitHub does it: an RS256 JWT signed with the app's private key
 * (`iat`, `exp` at most 10 minutes later, `iss` = app id or client id) buys a one-hour installation
 * token (`ghs_…`) carrying the installation's permissions at the time it was minted.
 */

export interface JwtClaims {
  iat: number;
  exp: number;
  iss: string;
}

export type JwtCheck = { ok: true; claims: JwtClaims } | { ok: false; reason: string };

const b64urlJson = (part: string): unknown => JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));

/** Verify an app JWT against the app's public key, using the real clock (clients sign with it). */
export function verifyAppJwt(
  jwt: string,
  publicKeyPem: string,
  appIds: string[],
  nowMs = Date.now(),
): JwtCheck {
  const parts = jwt.split('.');
  if (parts.length !== 3) return { ok: false, reason: 'A JSON web token could not be decoded' };
  const [h, p, sig] = parts as [string, string, string];
  let header: { alg?: string };
  let claims: Partial<JwtClaims>;
  try {
    header = b64urlJson(h) as { alg?: string };
    claims = b64urlJson(p) as Partial<JwtClaims>;
  } catch {
    return { ok: false, reason: 'A JSON web token could not be decoded' };
  }
  if (header.alg !== 'RS256') return { ok: false, reason: "'alg' must be RS256" };
  const verifier = createVerify('RSA-SHA256');
  verifier.update(`${h}.${p}`);
  if (!verifier.verify(publicKeyPem, Buffer.from(sig, 'base64url'))) {
    return { ok: false, reason: 'A JSON web token could not be decoded' };
  }
  const now = Math.floor(nowMs / 1000);
  if (typeof claims.iat !== 'number' || typeof claims.exp !== 'number' || claims.iss == null) {
    return { ok: false, reason: "Missing 'iat', 'exp' or 'iss' claim" };
  }
  if (claims.iat > now + 60)
    return {
      ok: false,
      reason: "'Issued at' claim ('iat') must be an Integer representing a time in the past",
    };
  if (claims.exp <= now)
    return { ok: false, reason: "'Expiration time' claim ('exp') is too far in the past" };
  if (claims.exp - claims.iat > 660)
    return { ok: false, reason: "'Expiration time' claim ('exp') is too far in the future" };
  // A JWT whose `iss` is not the key's app: GitHub answers "A JSON web token could not be decoded"
  // (octokit/auth-app.js#375; actions/create-github-app-token#153: "a valid app ID and a private key
  // that do not match").
  if (!appIds.includes(String(claims.iss)))
    return { ok: false, reason: 'A JSON web token could not be decoded' };
  return { ok: true, claims: { iat: claims.iat, exp: claims.exp, iss: String(claims.iss) } };
}

export interface IssuedToken {
  installationId: number;
  permissions: Permissions;
  expiresAt: number;
}

/** Installation tokens minted by this emulator. Kept across world switches, like GitHub's. */
export class TokenStore {
  private readonly tokens = new Map<string, IssuedToken>();

  mint(
    installationId: number,
    permissions: Permissions,
    nowMs = Date.now(),
  ): { token: string } & IssuedToken {
    const token = `ghs_${randomBytes(27).toString('base64url').replace(/[-_]/g, 'x').slice(0, 36)}`;
    const issued = { installationId, permissions, expiresAt: nowMs + 3600_000 };
    this.tokens.set(token, issued);
    return { token, ...issued };
  }

  lookup(token: string, nowMs = Date.now()): IssuedToken | undefined {
    const t = this.tokens.get(token);
    if (!t || t.expiresAt <= nowMs) return undefined;
    return t;
  }
}

/** A stable classic PAT value for the world's `classic_token`, derived from the emulator's secret. */
export function classicTokenValue(secret: string): string {
  return `ghp_${createHash('sha256').update(secret).digest('hex').slice(0, 36)}`;
}

export type Caller =
  | { kind: 'installation'; token: IssuedToken }
  | { kind: 'classic'; scopes: string[] }
  | { kind: 'jwt'; raw: string }
  | { kind: 'none' }
  | { kind: 'invalid' };

/** Read `Authorization: token X` / `Bearer X`. */
export function credentialOf(headers: IncomingHttpHeaders): string | null {
  const h = headers.authorization;
  if (!h) return null;
  const m = /^(?:token|bearer)\s+(\S+)$/i.exec(h);
  return m ? m[1]! : null;
}

const ORDER: Record<Level, number> = { read: 1, write: 2, admin: 3 };

export function hasPermission(perms: Permissions, name: string, level: Level): boolean {
  const held = perms[name];
  return held != null && ORDER[held] >= ORDER[level];
}
