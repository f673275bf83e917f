import { createHash, createPrivateKey, createPublicKey, sign } from 'node:crypto';

/**
 * A self-signed X.509 certificate for the scanner's app registration, built synchronously from an
 * existing RSA key pair (the emulator's `m365-client-cert` key), so that `clientSetup()` can hand it
 * out without awaiting. Only what Entra's certificate credential needs: subject, validity, key.
 */
export interface ClientCertificate {
  /** PEM of the certificate. */
  certPem: string;
  /** PEM file the scanner uses: private key followed by the certificate (what @azure/identity reads). */
  bundlePem: string;
  /** base64url SHA-1 of the DER (`x5t`). */
  x5t: string;
  /** base64url SHA-256 of the DER (`x5t#S256`). */
  x5tS256: string;
  /** Upper-case hex SHA-1 thumbprint, as the Entra portal and `customKeyIdentifier` show it. */
  thumbprintHex: string;
  publicKeyPem: string;
}

function len(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}
const tlv = (tag: number, content: Buffer) =>
  Buffer.concat([Buffer.from([tag]), len(content.length), content]);
const seq = (...parts: Buffer[]) => tlv(0x30, Buffer.concat(parts));
const set = (...parts: Buffer[]) => tlv(0x31, Buffer.concat(parts));
const explicit = (n: number, content: Buffer) => tlv(0xa0 + n, content);
const nul = () => Buffer.from([0x05, 0x00]);

function integer(value: Buffer): Buffer {
  // DER integers are signed: prefix a zero byte when the high bit is set.
  const v = value[0]! & 0x80 ? Buffer.concat([Buffer.from([0]), value]) : value;
  return tlv(0x02, v);
}

function oid(dotted: string): Buffer {
  const parts = dotted.split('.').map(Number);
  const out: number[] = [40 * parts[0]! + parts[1]!];
  for (const p of parts.slice(2)) {
    const chunk: number[] = [p & 0x7f];
    for (let v = Math.floor(p / 128); v > 0; v = Math.floor(v / 128)) chunk.unshift((v & 0x7f) | 0x80);
    out.push(...chunk);
  }
  return tlv(0x06, Buffer.from(out));
}

function time(d: Date): Buffer {
  const iso = d.toISOString();
  // UTCTime for years 1950-2049, GeneralizedTime after (RFC 5280 4.1.2.5).
  if (d.getUTCFullYear() < 2050) {
    const s = `${iso.slice(2, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}Z`;
    return tlv(0x17, Buffer.from(s, 'ascii'));
  }
  const s = `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}Z`;
  return tlv(0x18, Buffer.from(s, 'ascii'));
}

const name = (cn: string) => seq(set(seq(oid('2.5.4.3'), tlv(0x0c, Buffer.from(cn, 'utf8')))));
const b64url = (buf: Buffer) => buf.toString('base64url');

function pem(label: string, der: Buffer): string {
  const lines = der.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

const cache = new Map<string, ClientCertificate>();

/** Build (once per key and subject) a self-signed SHA-256/RSA certificate for `CN=<commonName>`. */
export function selfSignedCertificate(
  keys: { privateKeyPem: string; publicKeyPem: string },
  commonName: string,
  notBefore: Date,
  notAfter: Date,
): ClientCertificate {
  const cacheKey = `${keys.publicKeyPem}|${commonName}|${notBefore.toISOString()}|${notAfter.toISOString()}`;
  const hit = cache.get(cacheKey);
  if (hit) return hit;
  const spki = createPublicKey(keys.publicKeyPem).export({ type: 'spki', format: 'der' });
  const sigAlg = seq(oid('1.2.840.113549.1.1.11'), nul()); // sha256WithRSAEncryption
  const serial = createHash('sha256').update(keys.publicKeyPem).digest().subarray(0, 16);
  serial[0]! &= 0x7f;
  const tbs = seq(
    explicit(0, integer(Buffer.from([2]))), // v3
    integer(serial),
    sigAlg,
    name(commonName),
    seq(time(notBefore), time(notAfter)),
    name(commonName),
    spki,
  );
  const signature = sign('sha256', tbs, createPrivateKey(keys.privateKeyPem));
  const der = seq(tbs, sigAlg, tlv(0x03, Buffer.concat([Buffer.from([0]), signature])));
  const certPem = pem('CERTIFICATE', der);
  const out: ClientCertificate = {
    certPem,
    bundlePem: `${keys.privateKeyPem.trimEnd()}\n${certPem}`,
    x5t: b64url(createHash('sha1').update(der).digest()),
    x5tS256: b64url(createHash('sha256').update(der).digest()),
    thumbprintHex: createHash('sha1').update(der).digest('hex').toUpperCase(),
    publicKeyPem: keys.publicKeyPem,
  };
  cache.set(cacheKey, out);
  return out;
}
