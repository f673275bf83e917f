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

/**
 * Whether `redactSecrets(value)` would replace anything. Walks without copying: most API objects hold
 * no secret-named field, and a caller can then keep the object (and its text) as it is.
 */
export function hasSecretFields(value: unknown): boolean {
  return holdsSecret(value, false);
}

function holdsSecret(value: unknown, parentLooksLikeCredential: boolean): boolean {
  if (Array.isArray(value)) return value.some((v) => holdsSecret(v, parentLooksLikeCredential));
  if (value === null || typeof value !== 'object') return false;
  const obj = value as Record<string, unknown>;
  const credentialLike = 'keyId' in obj || 'secretText' in obj || 'hint' in obj;
  for (const k in obj) {
    if (!Object.hasOwn(obj, k)) continue;
    const v = obj[k];
    if (v != null && v !== '' && isSecretKey(k, credentialLike)) return true;
    if (v !== null && typeof v === 'object' && holdsSecret(v, false)) return true;
  }
  return false;
}

/** `redactSecrets(value)`, or `value` itself when it holds no secret-named field (no copy made). */
export function redactedOrSame<T>(value: T): T {
  return hasSecretFields(value) ? redactSecrets(value) : value;
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

/**
 * Patterns of well-known credential formats, scrubbed from free text: error messages and API error
 * bodies, log lines, coverage reasons. Each keeps what tells a reader which kind of secret it was.
 */
const TOKEN_PATTERNS: ReadonlyArray<{ re: RegExp; replace: string }> = [
  // PEM private keys, also when an error body was cut off before the END line.
  {
    re: /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z0-9 ]*PRIVATE KEY-----|$)/g,
    replace: REDACTED,
  },
  // `key=value` in form bodies, query strings and messages (client_secret=…, assertion=…).
  {
    re: /\b(client_secret|client_assertion|assertion|password|passwd|refresh_token|access_token|id_token|secret|api_?key|private_key|sig|signature|code_verifier)=([^&\s"'<>]+)/gi,
    replace: `$1=${REDACTED}`,
  },
  // `"key": "value"` in JSON bodies quoted inside messages.
  {
    re: /"(client_secret|client_assertion|assertion|password|refresh_token|access_token|id_token|token|secret|secretText|private_key|privateKeyData|api_?key)"(\s*:\s*)"(?:[^"\\]|\\.)*"/gi,
    replace: `"$1"$2"${REDACTED}"`,
  },
  { re: /\bgh[pousr]_[A-Za-z0-9]{20,}\b/g, replace: REDACTED }, // GitHub tokens
  { re: /\bgithub_pat_[A-Za-z0-9_]{20,}\b/g, replace: REDACTED },
  { re: /\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*/g, replace: REDACTED }, // JWTs
  { re: /\bya29\.[A-Za-z0-9_.-]{10,}/g, replace: REDACTED }, // Google access tokens
  { re: /\b1\/\/0[A-Za-z0-9_-]{20,}/g, replace: REDACTED }, // Google refresh tokens
  { re: /\bAIza[0-9A-Za-z_-]{35}\b/g, replace: REDACTED }, // Google API keys
  // Entra client secrets (`xxx8Q~…`).
  { re: /\b[A-Za-z0-9_~.-]{3}\dQ~[A-Za-z0-9_~.-]{31,34}/g, replace: REDACTED },
  { re: /\bxox[abposr]-[A-Za-z0-9-]{10,}/g, replace: REDACTED }, // Slack tokens
  { re: /\b(Bearer|token|Basic)\s+[A-Za-z0-9._~+/=-]{12,}/gi, replace: `$1 ${REDACTED}` },
];

export function scrubText(text: string): string {
  let out = text;
  for (const { re, replace } of TOKEN_PATTERNS) out = out.replace(re, replace);
  return out;
}
