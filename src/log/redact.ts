/**
 * Secret redaction: a second line of defence behind connectors, which already drop secret material
 * from raw API objects. Applied to raw objects before storage and to every log line.
 */
const SECRET_KEY =
  /^(token|access_?token|refresh_?token|id_?token|client_?secret|secret(text)?|password|passwd|private_?key(data)?|privatekeydata|key_?data|assertion|authorization|cookie|set-cookie|secretText|value|hint|token_?last_?eight)$/i;

/** Keys whose values are secret. `value` is only secret inside credential-like objects; see below. */
function isSecretKey(key: string, parentLooksLikeCredential: boolean): boolean {
  if (key.toLowerCase() === 'value') return parentLooksLikeCredential;
  return SECRET_KEY.test(key);
}

export const REDACTED = '[redacted]';

/** Returns a deep copy of `value` with secret-named fields replaced by `[redacted]`. */
export function redactSecrets<T>(value: T): T {
  return redact(value, false) as T;
}

function redact(value: unknown, parentLooksLikeCredential: boolean): unknown {
  if (Array.isArray(value)) return value.map((v) => redact(v, parentLooksLikeCredential));
  if (value === null || typeof value !== 'object') return value;
  const obj = value as Record<string, unknown>;
  const credentialLike = 'keyId' in obj || 'secretText' in obj || 'hint' in obj;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) {
    if (v != null && v !== '' && isSecretKey(k, credentialLike)) out[k] = REDACTED;
    else out[k] = redact(v, false);
  }
  return out;
}

/** Patterns of well-known token formats, scrubbed from free text (error messages, log lines). */
const TOKEN_PATTERNS: RegExp[] = [
  /\bgh[pousr]_[A-Za-z0-9]{20,}\b/g, // GitHub tokens
  /\bgithub_pat_[A-Za-z0-9_]{20,}\b/g,
  /\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\b/g, // JWTs
  /\bya29\.[A-Za-z0-9_.-]{10,}\b/g, // Google access tokens
  /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----/g,
  /\b(Bearer|token)\s+[A-Za-z0-9._~+/=-]{16,}/gi,
];

export function scrubText(text: string): string {
  let out = text;
  for (const re of TOKEN_PATTERNS) out = out.replace(re, REDACTED);
  return out;
}
