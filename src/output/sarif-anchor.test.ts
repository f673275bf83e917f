import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Finding } from '../findings/finding.js';
import { configAnchor } from './sarif-anchor.js';

const dir = mkdtempSync(join(tmpdir(), 'gs-anchor-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
mkdirSync(join(dir, 'ops'));
const config = join(dir, 'ops', 'prod.yaml');
writeFileSync(config, '# prod\r\ngoogle-workspace:\r\n  customer: C1\r\n');
const on = (platform: string) => ({ platform }) as Finding;

describe('SARIF anchors in the configuration', () => {
  it("points at the platform's section, relative to the working directory", () => {
    const anchor = configAnchor(config, dir);
    expect(anchor(on('google-workspace'))).toEqual({ uri: 'ops/prod.yaml', startLine: 2, endColumn: 18 });
    // A platform without a section of its own (a plugin's, say): the first line.
    expect(anchor(on('fake'))).toEqual({ uri: 'ops/prod.yaml', startLine: 1, endColumn: 7 });
  });

  it('names a config outside the working directory by its base name; no config: grantscope.yaml', () => {
    expect(configAnchor(config, join(dir, 'elsewhere'))(on('google-workspace')).uri).toBe('prod.yaml');
    expect(configAnchor(null, dir)(on('github'))).toEqual({
      uri: 'grantscope.yaml',
      startLine: 1,
      endColumn: 2,
    });
  });
});
