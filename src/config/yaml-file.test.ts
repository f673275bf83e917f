import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BUILTIN_VOCABULARY } from '../../test/support/vocabulary.js';
import { loadConnectors } from '../connector/registry.js';
import { ConfigError } from '../errors.js';
import { parsePolicy } from '../policy/load.js';
import { loadConfig } from './config.js';
import { MAX_YAML_BYTES, parseYaml, readYamlFile } from './yaml-file.js';

const dir = mkdtempSync(join(tmpdir(), 'gs-yaml-'));
const file = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};

describe('YAML files', () => {
  it('refuses an alias bomb with a ConfigError naming the file', () => {
    const levels = ['a: &a ["x","x","x","x","x","x","x","x","x"]'];
    for (let i = 1; i < 9; i++) {
      const prev = String.fromCharCode(96 + i);
      const name = String.fromCharCode(97 + i);
      levels.push(`${name}: &${name} [${Array(9).fill(`*${prev}`).join(',')}]`);
    }
    const err = (() => {
      try {
        parseYaml({ file: 'bomb.yaml', text: levels.join('\n') });
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).message).toMatch(/^bomb\.yaml: invalid configuration\n.*alias/);
  });

  it('finds a duplicate key in a mapping of 80,000 keys and names its line', () => {
    const lines = Array.from({ length: 80_000 }, (_, i) => `k${i}: ${i}`);
    lines.push('k17: again');
    const err = (() => {
      try {
        parseYaml({ file: 'big.yaml', text: lines.join('\n') });
      } catch (e) {
        return e as ConfigError;
      }
    })();
    expect(err).toBeInstanceOf(ConfigError);
    expect(err!.issues).toEqual([{ path: 'k17', line: 80_001, message: 'Map keys must be unique' }]);
  });

  it('still parses aliases used a reasonable number of times', () => {
    const parsed = parseYaml({ file: 'ok.yaml', text: 'base: &b {x: 1}\none: *b\ntwo: *b\n' });
    expect(parsed.value).toEqual({ base: { x: 1 }, one: { x: 1 }, two: { x: 1 } });
  });

  it('refuses a file over the size limit before reading it', () => {
    const path = file('huge.yaml', '');
    writeFileSync(path, Buffer.alloc(MAX_YAML_BYTES + 1, 0x20));
    expect(() => readYamlFile(path)).toThrow(/limit is 16777216/);
  });
});

/** Arbitrary YAML-ish text: structure characters, keys the schemas know, anchors and aliases. */
const yamlText = fc
  .array(
    fc.oneof(
      fc.constantFrom(
        ':',
        ' ',
        '\n',
        '  ',
        '- ',
        '{',
        '}',
        '[',
        ']',
        ',',
        '&a ',
        '*a',
        '!!str ',
        '!!binary ',
        '? ',
        '|',
        '>',
        '"',
        "'",
        '#',
        '---',
        '...',
        '%YAML 1.2',
        '<<: *a',
        'version',
        'rules',
        'stale',
        'days',
        'database',
        'github',
        'microsoft365',
        'google-workspace',
        'org',
        'auth',
        'severity',
        'plugins',
        'null',
        'true',
        '1e999',
        '-1',
        '\u0000',
        '\uFEFF',
        '\uD800',
      ),
      fc.string({ maxLength: 6 }),
    ),
    { maxLength: 40 },
  )
  .map((parts) => parts.join(''));

describe('config and policy parsers under arbitrary input', () => {
  it('end every input in a value or a ConfigError, never another exception', async () => {
    const connectors = await loadConnectors([], { configFile: join(dir, 'grantscope.yaml') });
    fc.assert(
      fc.property(yamlText, (text) => {
        for (const parse of [
          () => parsePolicy({ file: 'policy.yaml', text }, BUILTIN_VOCABULARY),
          () => loadConfig(file('grantscope.yaml', text), connectors),
        ]) {
          try {
            parse();
          } catch (err) {
            if (!(err instanceof ConfigError)) throw err;
            expect(err.message.startsWith(`${err.file}: invalid configuration`)).toBe(true);
          }
        }
      }),
      { numRuns: 400 },
    );
  });
});
