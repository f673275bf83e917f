import { describe, expect, it } from 'vitest';
import { successBody } from './client.js';

const stream = (text: string) => new Response(text).body;

describe('successBody: a successful answer read as Octokit reads it, JSON with JSON.parse', () => {
  it('parses JSON (and SCIM JSON) into plain values: numbers are numbers, whatever their size', async () => {
    // Octokit's own parser (json-with-bigint) makes 2^53 and beyond a BigInt.
    expect(await successBody(stream('{"id":9007199254740993,"n":[1,2.5]}'), 'application/json')).toEqual({
      id: 9007199254740992,
      n: [1, 2.5],
    });
    expect(await successBody(stream('{"schemas":[]}'), 'application/scim+json; charset=utf-8')).toEqual({
      schemas: [],
    });
  });

  it('leaves JSON that does not parse as its text, for the client to refuse as malformed', async () => {
    expect(await successBody(stream('{"cut": '), 'application/json; charset=utf-8')).toBe('{"cut": ');
    // A body cut off on the way reads as nothing (Octokit's reading gives the same).
    const cut = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('{"a":'));
        controller.error(new Error('other side closed'));
      },
    });
    expect(await successBody(cut, 'application/json')).toBe('');
  });

  it('reads text, a body of no declared type and UTF-8 as text; anything else as bytes', async () => {
    expect(await successBody(stream('hello'), 'text/plain')).toBe('hello');
    expect(await successBody(stream('hello'), undefined)).toBe('hello');
    expect(await successBody(stream('<x/>'), 'application/xml; charset="UTF-8"')).toBe('<x/>');
    const bytes = await successBody(stream('abc'), 'application/octet-stream; charset=utf-8');
    expect(bytes).toBeInstanceOf(ArrayBuffer);
    expect(Buffer.from(bytes as ArrayBuffer).toString()).toBe('abc');
    expect(await successBody(null, 'application/json')).toBe('');
  });
});
