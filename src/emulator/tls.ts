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
 * anywhere but the caller's temp dir. Cached per process: key generation costs ~100 ms.
 */
export function emulatorTls(): Promise<EmulatorTls> {
  cached ??= (async () => {
    const notBeforeDate = new Date(Date.now() - 24 * 3600_000);
    const notAfterDate = new Date(Date.now() + 30 * 24 * 3600_000);
    const ca = await generate([{ name: 'commonName', value: 'grantscope emulator test CA' }], {
      keySize: 2048,
      algorithm: 'sha256',
      notBeforeDate,
      notAfterDate,
      extensions: [
        { name: 'basicConstraints', cA: true, critical: true },
        { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
      ],
    });
    const leaf = await generate([{ name: 'commonName', value: 'localhost' }], {
      keySize: 2048,
      algorithm: 'sha256',
      notBeforeDate,
      notAfterDate,
      ca: { key: ca.private, cert: ca.cert },
      extensions: [
        { name: 'basicConstraints', cA: false },
        { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
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
