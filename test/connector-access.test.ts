import { describe, expect, it } from 'vitest';
import { CHECKED_COLLECTORS as GITHUB } from '../connectors/github/access.js';
import github from '../connectors/github/index.js';
import { CHECKED_COLLECTORS as GOOGLE } from '../connectors/google-workspace/access.js';
import google from '../connectors/google-workspace/index.js';
import { CHECKED_COLLECTORS as M365 } from '../connectors/microsoft365/access.js';
import m365 from '../connectors/microsoft365/index.js';

/** A collector added without a doctor check would pass `grantscope doctor` unchecked. */
describe('each built-in connector checks every collector in doctor', () => {
  it.each([
    ['github', github, GITHUB],
    ['microsoft365', m365, M365],
    ['google-workspace', google, GOOGLE],
  ] as const)('%s', (_id, connector, checked) => {
    expect(typeof connector.checkAccess).toBe('function');
    expect([...checked].sort()).toEqual(connector.collectors.map((c) => c.name).sort());
  });
});
