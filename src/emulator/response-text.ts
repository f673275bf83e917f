import type { EmuResponse } from './router.js';

/**
 * The JSON text of a response's body, when a route has serialised it already (GitHub's ETag is
 * derived from the body's JSON: github/api.ts `conditional`), so that the server sends that text
 * instead of serialising the body a second time (a page of 100 repositories is ~600 KB of JSON, some
 * milliseconds of the emulator's one thread each time). Kept per response object: one made for the
 * request that it answers, so a body shared with other requests or changed later is never sent stale;
 * a response rebuilt on the way (a fault's) is serialised anew.
 */
const texts = new WeakMap<EmuResponse, string>();

/** `resp`, whose body serialises to `text`. */
export function withJsonText(resp: EmuResponse, text: string): EmuResponse {
  texts.set(resp, text);
  return resp;
}

/** The JSON text of `resp`'s body: the one a route kept, or its serialisation now. */
export function jsonTextOf(resp: EmuResponse): string {
  return texts.get(resp) ?? JSON.stringify(resp.body);
}
