import { describe, expect, it } from 'vitest';
import { diffChangeList } from '../../diff/builder.js';
import { diffLines } from './diff.js';

/**
 * Collectors of one source that were not compared for the same reason are one line: a tenant that stopped
 * (not found, unreachable) fails every collector with one reason, and the listing says it once.
 */
describe('diff: not compared', () => {
  it('one line per source and reason; "not reached: X" joins the collector that met X', () => {
    const stop = 'organisation not found: GitHub answered 404 to GET /orgs/{org}/members';
    const d = diffChangeList([], {
      before: [],
      after: [
        {
          source: 'github:acme-crop',
          collectors: [
            { collector: 'members', status: 'failed', reason: stop },
            { collector: 'repositories', status: 'failed', reason: `not reached: ${stop}` },
            { collector: 'deploy-keys', status: 'failed', reason: `not reached: ${stop}` },
            { collector: 'org-webhooks', status: 'failed', reason: 'GitHub REST returned 403: Forbidden' },
          ],
        },
      ],
    });
    expect(d.suppressed).toHaveLength(4);
    const lines = diffLines(d).filter((l) => l.change === 'not compared');
    expect(lines.map((l) => l.detail)).toEqual([
      expect.stringMatching(/^[a-z-]+, [a-z-]+, [a-z-]+ failed in the newer scan \(organisation not found: /),
      'org-webhooks failed in the newer scan (GitHub REST returned 403: Forbidden): 0 possible removals not reported',
    ]);
    expect(lines[0]!.detail.split(' failed')[0]!.split(', ').sort()).toEqual([
      'deploy-keys',
      'members',
      'repositories',
    ]);
    expect(lines[0]!.detail).toContain(stop);
  });
});
