import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseGovernance } from '../governance/load.js';
import { demoGovernanceFile, renderRelativeDates } from './governance-demo.js';

describe('demo governance file', () => {
  it('turns now±Nd into calendar dates relative to the day given, and nothing else', () => {
    const now = new Date('2026-12-06T02:00:00Z');
    expect(renderRelativeDates('a: now-30d\nb: now+60d\nc: know-1d\nd: now-5h', now)).toBe(
      'a: 2026-11-06\nb: 2027-02-04\nc: know-1d\nd: now-5h',
    );
  });

  it('is a valid governance file once dated, with an entry in every section', () => {
    const text = renderRelativeDates(
      readFileSync(demoGovernanceFile(), 'utf8'),
      new Date('2026-12-06T00:00:00Z'),
    );
    const g = parseGovernance([{ file: 'governance.yaml', text }]);
    expect(g.owners.map((o) => o.person)).toEqual([
      'Frank Weber',
      'Priya Raman',
      'Zoe Park',
      'Greta Lind',
      'Raj Patel',
    ]);
    expect(g.approvals).toHaveLength(2);
    expect(g.exceptions).toMatchObject([{ rule: 'stale', granted: '2026-12-01', expires: '2027-02-04' }]);
    expect(g.retired).toMatchObject([{ name: 'SonarCloud', date: '2026-11-06' }]);
    // Reviewed 200 days before the demo runs: overdue under the default 90-day period.
    expect(g.reviews).toMatchObject([{ decision: 'keep', date: '2026-05-20' }]);
  });
});
