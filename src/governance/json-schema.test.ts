import { readFileSync, writeFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { demoGovernanceFile, renderRelativeDates } from '../demo/governance-demo.js';
import { GOVERNANCE_SCHEMA_PATH, governanceJsonSchema, governanceJsonSchemaText } from './json-schema.js';

const file = new URL(`../../${GOVERNANCE_SCHEMA_PATH}`, import.meta.url).pathname;
const REGENERATE = 'GRANTSCOPE_WRITE_SCHEMA=1 npx vitest run src/governance/json-schema.test.ts';

describe('governance JSON Schema', () => {
  it(`the committed ${GOVERNANCE_SCHEMA_PATH} is up to date`, () => {
    if (process.env.GRANTSCOPE_WRITE_SCHEMA === '1') {
      writeFileSync(file, governanceJsonSchemaText());
    }
    let committed: unknown = null;
    try {
      committed = JSON.parse(readFileSync(file, 'utf8'));
    } catch {
      // Missing or unreadable: reported by the assertion below.
    }
    expect(committed, `${GOVERNANCE_SCHEMA_PATH} is out of date; regenerate: ${REGENERATE}`).toEqual(
      governanceJsonSchema(),
    );
  });

  it('accepts the demo governance file and rejects an unknown key or an exception without approver', () => {
    const validate = new Ajv2020({ strict: false, allErrors: true }).compile(governanceJsonSchema());
    // The demo's file, dated as the demo writes it (its shipped dates are relative: now-30d).
    const demo = parse(renderRelativeDates(readFileSync(demoGovernanceFile(), 'utf8'), new Date()));
    expect(validate(demo), JSON.stringify(validate.errors)).toBe(true);
    expect(validate({ ...demo, owner: [] })).toBe(false);
    const [first, ...rest] = demo.exceptions;
    const { approver: _a, ...noApprover } = first;
    expect(validate({ ...demo, exceptions: [noApprover, ...rest] })).toBe(false);
  });
});
