import { generate } from 'selfsigned';

export interface EmulatorTls {
  /** PEM of the test CA. Clients trust this (caFile / NODE_EXTRA_CA_CERTS). */
  caCert: string;
  /** Server certificate for 127.0.0.1 and localhost, signed by the CA. */
  cert: string;
  key: string;
}

let cached: Promise<EmulatorTls> | undefined;

/**
 * A throw-away CA and a server certificate signed by it, generated at start-up and never written
 * anywhere but the caller's temp dir. Cached per process. ECDSA P-256 keys, as many public services
 * use: generating two RSA-2048 keys here took 0.6-0.9 s of every emulator process's start (the test
 * suite starts hundreds), an EC key well under a millisecond, and each TLS handshake costs the
 * emulator less CPU too.
 */
export function emulatorTls(): Promise<EmulatorTls> {
  cached ??= (async () => {
    const notBeforeDate = new Date(Date.now() - 24 * 3600_000);
    const notAfterDate = new Date(Date.now() + 30 * 24 * 3600_000);
    const ca = await generate([{ name: 'commonName', value: 'grantscope emulator test CA' }], {
      keyType: 'ec',
      curve: 'P-256',
      algorithm: 'sha256',
      notBeforeDate,
      notAfterDate,
      extensions: [
        { name: 'basicConstraints', cA: true, critical: true },
        { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
      ],
    });
    const leaf = await generate([{ name: 'commonName', value: 'localhost' }], {
      keyType: 'ec',
      curve: 'P-256',
      algorithm: 'sha256',
      notBeforeDate,
      notAfterDate,
      ca: { key: ca.private, cert: ca.cert },
      extensions: [
        { name: 'basicConstraints', cA: false },
        // An EC key signs the handshake; it encrypts no key (keyEncipherment is for RSA key transport).
        { name: 'keyUsage', digitalSignature: true, critical: true },
        { name: 'extKeyUsage', serverAuth: true },
        {
          name: 'subjectAltName',
          altNames: [
            { type: 2, value: 'localhost' },
            { type: 7, ip: '127.0.0.1' },
          ],
        },
      ],
    });
    return { caCert: ca.cert, cert: leaf.cert, key: leaf.private };
  })();
  return cached;
}
