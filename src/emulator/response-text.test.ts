import { describe, expect, it } from 'vitest';
import { jsonTextOf, withJsonText } from './response-text.js';

describe('the JSON text a route kept for its response', () => {
  it('is the text sent for that response, and only for that response object', () => {
    const body = { id: 1, names: ['a', 'b'] };
    const kept = withJsonText({ status: 200, body }, '{"kept":true}');
    expect(jsonTextOf(kept)).toBe('{"kept":true}');
    // Another response with the same body (a fault's rebuilt one, another request's) is serialised now.
    expect(jsonTextOf({ ...kept })).toBe('{"id":1,"names":["a","b"]}');
    expect(jsonTextOf({ status: 200, body })).toBe('{"id":1,"names":["a","b"]}');
  });
});
