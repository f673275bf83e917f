import { describe, expect, it } from 'vitest';
import { laterPages, readInOrder } from './pages-ahead.js';

const API = 'https://api.example/api/v3/orgs/acme/repos';
const link = (next: string, last: string) => `<${next}>; rel="next", <${last}>; rel="last"`;

describe('laterPages', () => {
  it('names pages 2…last of a list paged by number', () => {
    expect(
      laterPages(
        `${API}?per_page=100&type=all`,
        link(`${API}?per_page=100&type=all&page=2`, `${API}?per_page=100&type=all&page=4`),
      ),
    ).toEqual([
      `${API}?per_page=100&type=all&page=2`,
      `${API}?per_page=100&type=all&page=3`,
      `${API}?per_page=100&type=all&page=4`,
    ]);
  });

  it('leaves lists it cannot name safely to be followed one page at a time', () => {
    // Cursor paging: no `last`.
    expect(laterPages(API, `<${API}?after=abc>; rel="next"`)).toBeNull();
    // No Link at all.
    expect(laterPages(API, undefined)).toBeNull();
    // `next` is not page 2, or leads elsewhere.
    expect(laterPages(API, link(`${API}?page=3`, `${API}?page=5`))).toBeNull();
    expect(
      laterPages(API, link(`https://other.example/x?page=2`, `https://other.example/x?page=5`)),
    ).toBeNull();
    // `last` differs from `next` in more than the page.
    expect(laterPages(API, link(`${API}?page=2&type=all`, `${API}?page=5&type=member`))).toBeNull();
    // A `next` that loops back (page 1 again).
    expect(laterPages(API, link(`${API}?page=1`, `${API}?page=1`))).toBeNull();
    // Not read from page 1.
    expect(laterPages(`${API}?page=2`, link(`${API}?page=3`, `${API}?page=5`))).toBeNull();
  });
});

describe('readInOrder', () => {
  it('keeps at most `window` reads under way and yields in order however they finish', async () => {
    let open = 0;
    let most = 0;
    const read = async (url: string) => {
      open += 1;
      most = Math.max(most, open);
      // Later URLs finish first.
      await new Promise((r) => setTimeout(r, 30 - Number(url) * 2));
      open -= 1;
      return Number(url);
    };
    const urls = Array.from({ length: 12 }, (_, i) => String(i));
    const got: number[] = [];
    for await (const v of readInOrder(urls, 4, read)) got.push(v);
    expect(got).toEqual(urls.map(Number));
    expect(most).toBe(4);
  });

  it('throws a failed read when its turn comes', async () => {
    const got: number[] = [];
    const reading = (async () => {
      for await (const v of readInOrder(['1', '2', '3'], 2, async (u) => {
        if (u === '2') throw new Error('page 2 failed');
        return Number(u);
      }))
        got.push(v);
    })();
    await expect(reading).rejects.toThrow('page 2 failed');
    expect(got).toEqual([1]);
  });
});
