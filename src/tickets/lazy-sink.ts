import { readFileSync } from 'node:fs';
import { rootCertificates } from 'node:tls';
import { Agent, fetch as undiciFetch } from 'undici';
import type { RemoteTicketState, TicketContent, TicketDocument, TicketRef, TicketSink } from './sink.js';

/**
 * A sink whose construction is asynchronous (it reads a secret file, loads an SDK) behind the
 * registry's synchronous `create`: it is built on first use, and a failure to build (a missing secret)
 * surfaces as that operation's error, naming the sink.
 */
export function lazySink(
  name: string,
  kind: string,
  build: () => Promise<TicketSink & { find?(key: string): Promise<TicketRef | null> }>,
): TicketSink {
  let made: ReturnType<typeof build> | null = null;
  const sink = () => {
    made ??= build();
    return made;
  };
  return {
    name,
    kind,
    canReadState: true,
    open: async (c: TicketContent) => (await sink()).open(c),
    comment: async (r: TicketRef, d: TicketDocument) => (await sink()).comment(r, d),
    close: async (r: TicketRef, d: TicketDocument) => (await sink()).close(r, d),
    reopen: async (r: TicketRef, d: TicketDocument) => (await sink()).reopen(r, d),
    state: async (r: TicketRef): Promise<RemoteTicketState> => (await sink()).state(r),
  };
}

/**
 * fetch that trusts the system roots plus `tls.caFile` (a private endpoint, the local emulators), or
 * plain fetch when there is no extra CA.
 */
export function fetchTrusting(caFile: string | null): typeof fetch | undefined {
  if (!caFile) return undefined;
  const dispatcher = new Agent({ connect: { ca: [...rootCertificates, readFileSync(caFile, 'utf8')] } });
  return ((url: string, init: object = {}) =>
    undiciFetch(url, { ...init, dispatcher })) as unknown as typeof fetch;
}
